#pragma once
// Hashes of a local file range, read in 1 MiB chunks (memory O(1 MiB), not O(range)).

#include <cstdint>
#include <filesystem>
#include <string>

#include "agent/base/status.h"

namespace kb::uploader {

/// Digests of one file range, lower-case hex.
struct FileRangeDigests {
  std::string sha256_hex;
  std::string md5_hex;  ///< only when asked for (S3 part ETags are the MD5 of the part)
};

/// Reads [offset, offset + length) of `path` once and returns its SHA-256 (and MD5 when
/// `with_md5`). Errors: the file's errno status (kNotFound, ...); kDataLoss when the file is
/// shorter than offset + length.
StatusOr<FileRangeDigests> HashFileRange(std::filesystem::path const& path, std::uint64_t offset,
                                         std::uint64_t length, bool with_md5);

}  // namespace kb::uploader
