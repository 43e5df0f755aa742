#pragma once
// Finds a snapshot by name or file and checks every hash of it, streaming, before anything is
// restored from it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/status.h"
#include "etcd/snapshot_manifest.h"
#include "uploader/object_store.h"

namespace kb::restore {

/// Where a snapshot's bytes are.
enum class SnapshotKind {
  kLocalCompressed,  ///< a kbackup .db.zst file with its manifest beside it
  kLocalRaw,         ///< a plain etcd snapshot file (db bytes + sha256 trailer), no manifest
  kRemote,           ///< a kbackup snapshot in a backup location
};

/// A resolved snapshot.
struct SnapshotRef {
  SnapshotKind kind = SnapshotKind::kLocalCompressed;
  std::optional<etcd::SnapshotManifest> manifest;  ///< none for kLocalRaw
  std::filesystem::path local_path;                ///< kLocal*: the data file
  std::string key;                                 ///< kRemote: object key of the .db.zst
  std::string where;                               ///< for messages: a path or "location/key"
};

/// Resolves `name_or_file`: an existing file path (a .db.zst with a manifest beside it, a
/// .manifest.json, or a raw etcd snapshot), else a snapshot name looked up first in
/// `snapshot_dir`, then in `store` (may be null).
/// Errors: kNotFound (nowhere), kInvalidArgument (bad manifest), store errors.
StatusOr<SnapshotRef> ResolveSnapshot(std::string const& name_or_file,
                                      std::filesystem::path const& snapshot_dir,
                                      uploader::ObjectStore* store);

/// Lists the snapshots (their manifests) in `store`, newest first. Objects without a manifest
/// (unfinished uploads) are not listed.
StatusOr<std::vector<etcd::SnapshotManifest>> ListRemoteSnapshots(uploader::ObjectStore& store);

/// What a verification found.
struct VerifyReport {
  std::uint64_t compressed_bytes = 0;  ///< 0 for raw files
  std::string compressed_sha256;
  std::uint64_t raw_bytes = 0;
  std::string raw_sha256;
  std::uint64_t db_bytes = 0;
  std::string db_sha256;  ///< from etcd's trailer, verified
};

/// Reads the whole snapshot (re-downloading a remote one) and checks: the compressed size and
/// sha256 against the manifest, the zstd frame checksums, the raw size and sha256, and etcd's
/// sha256 trailer over the db bytes. With `raw_out`, also writes the raw snapshot there (renamed
/// into place only after every check passed; removed on failure).
/// Errors: kDataLoss naming the file or key and the first mismatch; read errors of the store.
StatusOr<VerifyReport> VerifySnapshot(SnapshotRef const& ref, uploader::ObjectStore* store,
                                      std::optional<std::filesystem::path> const& raw_out,
                                      std::function<void(std::uint64_t)> progress = {});

}  // namespace kb::restore
