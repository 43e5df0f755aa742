#pragma once
// Private helpers of FileObjectStore: range copies with digests and a bandwidth cap, object
// sidecars (ETag, metadata), unique temp names.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "agent/base/clock.h"
#include "agent/base/status.h"

namespace kb::uploader::internal {

/// Digests of copied bytes, lower-case hex.
struct CopyDigests {
  std::string sha256_hex;
  std::string md5_hex;
  std::string md5_raw;  ///< 16 raw bytes (composite multipart ETags hash these)
};

/// Copies [offset, offset + length) of `from` to the end of the open file `to_fd`, at most
/// `max_bytes_per_second` (0 = unlimited; sleeps through `clock`). Errors: errno statuses naming
/// the file; kDataLoss when `from` is shorter than the range.
StatusOr<CopyDigests> CopyRange(std::filesystem::path const& from, std::uint64_t offset,
                                std::uint64_t length, int to_fd, std::string const& to_name,
                                std::uint64_t max_bytes_per_second, Clock& clock);

/// Appends bytes [offset, offset + length) of `from` to the open file `to_fd` (opened without
/// O_APPEND), in the kernel: copy_file_range(2), a reflink on filesystems that share extents,
/// falling back to read/write where the kernel cannot. No digests (Complete reuses the parts').
/// Errors: errno statuses naming the file; kDataLoss when `from` is shorter than `length`.
Status AppendFileRange(std::filesystem::path const& from, std::uint64_t offset,
                       std::uint64_t length, int to_fd, std::string const& to_name);

/// Writes `data` to the open `fd` (all of it). Errors: errno status naming `name`.
Status WriteAllFd(int fd, std::string_view data, std::string const& name);

/// What FileObjectStore keeps beside an object (under ROOT/.meta/KEY.json).
struct Sidecar {
  std::string etag;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  std::uint64_t size = 0;      ///< of the object file it describes
  std::int64_t mtime_ns = 0;   ///< of the object file it describes
};

/// Serializes a sidecar to JSON.
std::string SidecarToJson(Sidecar const& s);
/// Parses a sidecar; false on malformed input.
bool SidecarFromJson(std::string const& text, Sidecar& out);

/// Size and mtime (ns since the epoch) of `path`. Errors: errno status.
Status StatFile(std::filesystem::path const& path, std::uint64_t& size, std::int64_t& mtime_ns);

/// A name unique across threads and processes: 32 hex characters.
std::string UniqueName(Clock& clock);

}  // namespace kb::uploader::internal
