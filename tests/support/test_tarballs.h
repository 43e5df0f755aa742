#pragma once
// Builds tar and gzip'd tar archives in memory for tests, good and bad: links, devices, long
// (PAX) names, headers whose size field lies, cut downloads. Written with libarchive, except
// entries with a declared size, whose ustar header is crafted byte by byte.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kb::testing {

/// The kind of a TestTarEntry.
enum class TestTarType { kRegular, kDirectory, kSymlink, kHardlink, kCharDevice, kFifo };

/// One entry of a test archive.
struct TestTarEntry {
  /// Stored as given: "a/b.json", "/etc/passwd", "../x" are all written. Names longer than 100
  /// bytes get a PAX header, as Go's archive/tar writes them.
  std::string path;
  /// The data of a regular file; ignored for other types.
  std::string content;
  /// Default: a regular file, mode 0755 (as Velero writes).
  TestTarType type = TestTarType::kRegular;
  /// The target of a symlink or hardlink.
  std::string link_target;
  /// Regular files only: the ustar header's size field says this instead of content.size(),
  /// while content.size() bytes (zero-padded to 512) follow. libarchive cannot write such an
  /// entry, so its header is crafted (path at most 100 bytes). Default: the true size.
  std::optional<std::uint64_t> declared_size;
};

/// A regular file (the common case). GCC 12 warns on designated initializers that leave
/// members out, so tests build entries with these rather than {.path = ...}.
TestTarEntry TarFile(std::string path, std::string content);
/// A regular file whose ustar header declares `declared_size` bytes (see declared_size).
TestTarEntry TarFileDeclaringSize(std::string path, std::string content,
                                  std::uint64_t declared_size);
/// An entry of `type` without data; `link_target` for kSymlink and kHardlink.
TestTarEntry TarSpecial(std::string path, TestTarType type, std::string link_target = "");

/// How long names are written: kPax ("path" records, what Go's archive/tar falls back to) or
/// kGnu ("././@LongLink" entries, GNU tar's default).
enum class TestTarFormat { kPax, kGnu };

/// An uncompressed tar of `entries` in order, ending with two zero blocks and no padding (as
/// Go's archive/tar writes). Aborts the test binary on a libarchive error (our bug).
std::string MakeTar(std::vector<TestTarEntry> const& entries,
                    TestTarFormat format = TestTarFormat::kPax);

/// MakeTar(entries, format) in one gzip member, as a Velero <name>.tar.gz.
std::string MakeTarball(std::vector<TestTarEntry> const& entries,
                        TestTarFormat format = TestTarFormat::kPax);

/// The first `keep` bytes of `gzip` (all of it when keep >= size): a download cut short.
std::string TruncateGzip(std::string gzip, std::size_t keep);

}  // namespace kb::testing
