#pragma once
// A minimal read-only reader of the bbolt file format, the storage of etcd's backend and of its
// snapshots: enough to learn a snapshot's exact revision, which the snapshot stream does not
// carry (shared/spec/etcd-api.md §2.1, §3 `snapshot status`).
//
// Format (bbolt, little-endian on every platform etcd supports): pages of `page_size` bytes,
// each with a 16-byte header {id u64, flags u16, count u16, overflow u32}; pages 0 and 1 are
// meta pages (the valid one with the higher txid wins; FNV-1a 64 checksum); buckets are B+trees
// of branch and leaf pages, a small bucket is stored inline in its parent's leaf value.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/base/status.h"

namespace kb::etcd {

/// What ReadSnapshotDbInfo learned from an etcd bbolt file.
struct SnapshotDbInfo {
  /// Highest main revision among the keys of bucket "key": the store revision of the snapshot,
  /// as `etcdutl snapshot status` reports it. 0 when the bucket is empty.
  std::int64_t revision = 0;
  /// Entries in bucket "key": every stored revision of every key, tombstones included (what
  /// 3.4's status counts for that bucket; 3.6's `totalKey` counts live keys only).
  std::int64_t total_keys = 0;
  /// Names of the top-level buckets, in bbolt (byte) order, e.g. "alarm", "auth", "key".
  std::vector<std::string> buckets;
  std::uint32_t page_size = 0;  ///< bytes per page, from the meta page
  /// Size of the DB in bytes: the file size without etcd's 32-byte sha256 trailer, if any.
  std::uint64_t db_bytes = 0;
  std::uint64_t txid = 0;       ///< transaction ID of the meta page used
};

/// Reads the bbolt DB at `path` (a snapshot, with or without etcd's 32-byte trailer, or a
/// member's `member/snap/db` that no etcd has open): picks the valid meta page, lists the
/// top-level buckets and walks bucket "key". Memory: one page (with its overflow) per tree
/// level. Does not verify the sha256 trailer (see VerifySnapshotFile).
/// Errors: kDataLoss naming `path` (not a bbolt file, no valid meta page, a page out of range
///   or malformed, no "key" bucket: not an etcd DB), kNotFound/kPermissionDenied/kUnavailable
///   when it cannot be read.
StatusOr<SnapshotDbInfo> ReadSnapshotDbInfo(std::filesystem::path const& path);

}  // namespace kb::etcd
