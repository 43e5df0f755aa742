#include "tests/support/test_tarballs.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <algorithm>
#include <cstdio>

#include "agent/base/status.h"
#include "kube/velero_tar.h"

namespace kb::testing {
namespace {

constexpr std::size_t kBlock = 512;

long AppendToString(struct archive*, void* out, void const* buffer, std::size_t length) {
  static_cast<std::string*>(out)->append(static_cast<char const*>(buffer), length);
  return static_cast<long>(length);
}

// Writes `value` as `width - 1` octal digits and a NUL into `field`.
void PutOctal(char* field, std::size_t width, std::uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

// A ustar header for a regular file whose size field says `declared`, then `content` padded to
// a whole block.
std::string CraftedRegularFile(std::string const& path, std::string const& content,
                               std::uint64_t declared) {
  KB_CHECK(path.size() <= 100);
  std::string h(kBlock, '\0');
  std::copy(path.begin(), path.end(), h.begin());
  PutOctal(&h[100], 8, 0755);      // mode
  PutOctal(&h[108], 8, 0);         // uid
  PutOctal(&h[116], 8, 0);         // gid
  PutOctal(&h[124], 12, declared);  // size
  PutOctal(&h[136], 12, 0);         // mtime
  h[156] = '0';                    // typeflag: regular file
  std::copy_n("ustar\0" "00", 8, &h[257]);
  std::fill_n(&h[148], 8, ' ');  // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(&h[148], 7, "%06o", sum);  // six digits, NUL, then the space already there
  std::string data = content;
  data.resize((content.size() + kBlock - 1) / kBlock * kBlock, '\0');
  return h + data;
}

void WriteEntry(struct archive* a, TestTarEntry const& t) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, t.path.c_str());
  archive_entry_set_perm(e, 0755);
  archive_entry_set_mtime(e, 1700000000, 0);
  std::string_view data;
  switch (t.type) {
    case TestTarType::kRegular:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(t.content.size()));
      data = t.content;
      break;
    case TestTarType::kDirectory:
      archive_entry_set_filetype(e, AE_IFDIR);
      break;
    case TestTarType::kSymlink:
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, t.link_target.c_str());
      break;
    case TestTarType::kHardlink:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, t.link_target.c_str());
      break;
    case TestTarType::kCharDevice:
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdevmajor(e, 1);
      archive_entry_set_rdevminor(e, 3);
      break;
    case TestTarType::kFifo:
      archive_entry_set_filetype(e, AE_IFIFO);
      break;
  }
  KB_CHECK(archive_write_header(a, e) == ARCHIVE_OK);
  archive_entry_free(e);
  if (!data.empty()) {
    KB_CHECK(archive_write_data(a, data.data(), data.size()) ==
             static_cast<la_ssize_t>(data.size()));
  }
  KB_CHECK(archive_write_finish_entry(a) == ARCHIVE_OK);
}

}  // namespace

TestTarEntry TarFile(std::string path, std::string content) {
  TestTarEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  return e;
}

TestTarEntry TarFileDeclaringSize(std::string path, std::string content,
                                  std::uint64_t declared_size) {
  TestTarEntry e = TarFile(std::move(path), std::move(content));
  e.declared_size = declared_size;
  return e;
}

TestTarEntry TarSpecial(std::string path, TestTarType type, std::string link_target) {
  TestTarEntry e;
  e.path = std::move(path);
  e.type = type;
  e.link_target = std::move(link_target);
  return e;
}

std::string MakeTar(std::vector<TestTarEntry> const& entries, TestTarFormat format) {
  // libarchive converts names from the thread's locale to UTF-8 for PAX records: under "C" it
  // fails on non-ASCII names (and 3.6 crashes on a name set as UTF-8 only).
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  KB_CHECK(utf8 != locale_t{});
  locale_t caller = uselocale(utf8);
  std::string out;
  struct archive* a = archive_write_new();
  KB_CHECK(a != nullptr);
  // Unblocked: every header and data block reaches `out` at once, so crafted entries can be
  // appended between libarchive's, and the end is exactly two zero blocks.
  KB_CHECK((format == TestTarFormat::kGnu ? archive_write_set_format_gnutar(a)
                                          : archive_write_set_format_pax_restricted(a)) ==
           ARCHIVE_OK);
  KB_CHECK(archive_write_set_bytes_per_block(a, 0) == ARCHIVE_OK);
  KB_CHECK(archive_write_open2(a, &out, nullptr, &AppendToString, nullptr, nullptr) ==
           ARCHIVE_OK);
  for (TestTarEntry const& t : entries) {
    if (t.declared_size.has_value() && t.type == TestTarType::kRegular) {
      out += CraftedRegularFile(t.path, t.content, *t.declared_size);
    } else {
      WriteEntry(a, t);
    }
  }
  KB_CHECK(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  uselocale(caller);
  freelocale(utf8);
  return out;
}

std::string MakeTarball(std::vector<TestTarEntry> const& entries, TestTarFormat format) {
  StatusOr<std::string> gz = kube::Gzip(MakeTar(entries, format));
  KB_CHECK(gz.ok());
  return *std::move(gz);
}

std::string TruncateGzip(std::string gzip, std::size_t keep) {
  gzip.resize(std::min(keep, gzip.size()));
  return gzip;
}

}  // namespace kb::testing
