#pragma once
// Writes a Velero backup tarball as a stream: gzip'd tar of regular-file entries only, mode
// 0755 (Velero's extractor makes parent dirs with the file's mode), uid/gid 0, ustar headers
// with pax for long names, as Go's archive/tar writes them. Spec: ../shared/spec/velero-format.md §2.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "agent/base/chunk_sink.h"
#include "agent/base/status.h"

struct archive;  // libarchive

namespace kb::kube {

/// Velero's backup format version: the content of metadata/version is this plus "\n".
inline constexpr char kVeleroBackupFormatVersion[] = "1.1.0";

/// A gzip'd tar written into a ChunkSink. Not thread-safe: callers serialize AddFile.
class VeleroTarWriter {
 public:
  /// Starts the archive; the bytes go to `sink` (Write only: the caller Finishes it).
  /// `mtime` is every entry's modification time. Errors: kInternal (libarchive setup).
  static StatusOr<std::unique_ptr<VeleroTarWriter>> Create(
      ChunkSink& sink, std::chrono::system_clock::time_point mtime);
  ~VeleroTarWriter();
  VeleroTarWriter(VeleroTarWriter const&) = delete;
  VeleroTarWriter& operator=(VeleroTarWriter const&) = delete;

  /// Adds the regular file `name` (relative, no leading "/") with `content`.
  /// Errors (sticky): the sink's error, or kInternal from libarchive.
  Status AddFile(std::string const& name, std::string_view content);
  /// Writes the end-of-archive blocks and the gzip trailer. Errors: as AddFile.
  Status Close();
  /// Compressed bytes written to the sink so far.
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  VeleroTarWriter(ChunkSink& sink, std::chrono::system_clock::time_point mtime)
      : sink_(sink), mtime_(mtime) {}
  static long WriteCallback(struct archive* archive, void* self, void const* buffer,
                            std::size_t length);

  ChunkSink& sink_;
  std::chrono::system_clock::time_point mtime_;
  void* archive_ = nullptr;  // struct archive*
  Status error_;
  bool closed_ = false;
  std::uint64_t bytes_written_ = 0;
};

/// One gzip member holding `data` (Velero's encode.ToJSONGzip for the JSON files beside the
/// tarball). Errors: kInternal.
StatusOr<std::string> Gzip(std::string_view data);

/// The content of a gzip stream (one or more members). Errors: kDataLoss naming `what`.
StatusOr<std::string> Gunzip(std::string_view data, std::string_view what);

}  // namespace kb::kube
