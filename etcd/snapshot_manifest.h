#pragma once
// The JSON manifest written beside every etcd snapshot (locally and in the backup location).
// It is written LAST: no manifest, no snapshot (STYLE.md §6).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/base/status.h"

namespace kb::etcd {

/// Manifest format version this kbackup writes and reads.
inline constexpr int kManifestFormatVersion = 1;

/// Key prefix of etcd snapshots inside a backup location. Under Velero's reserved `plugins/`
/// top-level prefix, so a location shared with Velero stays valid for it
/// (velero-format.md §1.1: any other top-level prefix makes a BSL Unavailable).
inline constexpr char kSnapshotKeyPrefix[] = "plugins/kbackup/etcd/";

/// Describes one snapshot: where it came from and the sizes and hashes of every form of it.
struct SnapshotManifest {
  int format_version = kManifestFormatVersion;
  std::string name;     ///< `<cluster>-etcd-<node>-<UTC stamp>`
  std::string cluster;  ///< --cluster-name
  std::string node;     ///< node (host) name
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> expires_at;  ///< from --ttl; none = keep
  // The etcd member the snapshot was streamed from.
  std::string etcd_endpoint;
  std::string etcd_version;     ///< server version, e.g. "3.5.17"
  std::string storage_version;  ///< 3.6+ storage version; empty before
  std::uint64_t member_id = 0;
  std::uint64_t cluster_id = 0;
  std::int64_t revision = 0;        ///< KV revision of the snapshot (exact when known)
  bool revision_exact = false;      ///< false: a lower bound (writes ran during the snapshot)
  std::uint64_t db_size = 0;        ///< bbolt bytes, sha256 trailer excluded
  std::string db_sha256;            ///< etcd's trailer: sha256 of the db bytes (hex)
  // The raw file: db bytes followed by the 32-byte trailer (what `etcdctl snapshot save` writes).
  std::uint64_t raw_size = 0;
  std::string raw_sha256;  ///< optional (empty): db_sha256 + raw_size already pin the raw file
  // The compressed object.
  std::string compression = "zstd";
  int compression_level = 3;
  std::uint64_t compressed_size = 0;
  std::string compressed_sha256;
};

/// File name of the compressed snapshot: "<name>.db.zst".
std::string SnapshotFileName(std::string const& name);
/// File name of the manifest: "<name>.manifest.json".
std::string ManifestFileName(std::string const& name);

/// Serialises `m` as pretty JSON (times RFC 3339 UTC, sizes in bytes).
std::string ManifestToJson(SnapshotManifest const& m);

/// Parses a manifest; `what` (file or key) is named in errors.
/// Errors: kInvalidArgument (bad JSON, missing field, malformed hash),
///   kFailedPrecondition (a newer format version).
StatusOr<SnapshotManifest> ParseManifestJson(std::string_view text, std::string_view what);

/// Builds a snapshot name: "<cluster>-etcd-<node>-<YYYYMMDDTHHMMSSZ>".
std::string MakeSnapshotName(std::string const& cluster, std::string const& node,
                             std::chrono::system_clock::time_point now);

}  // namespace kb::etcd
