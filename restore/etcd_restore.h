#pragma once
// Local etcd restore on a control-plane node: verify the snapshot completely, restore it with
// the node's own etcdutl (3.5+) or etcdctl (3.4) into a new directory beside the data dir, then
// swap by rename. The previous data dir is moved aside, never deleted.
// Follows the etcd op-guide recovery steps (../shared/spec/etcd-api.md §3).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "restore/snapshot_source.h"

namespace kb::restore {

/// What to restore and how.
struct EtcdRestoreOptions {
  /// A snapshot name (local snapshot dir, then the location) or a file path.
  std::string from;
  /// The member's data dir to restore into, e.g. /var/lib/etcd.
  std::filesystem::path data_dir;
  /// Member name. Default: "default" (etcd's).
  std::string name = "default";
  /// --initial-cluster; empty: "<name>=<initial_advertise_peer_urls>".
  std::string initial_cluster;
  /// Default: "etcd-cluster" (etcd's).
  std::string initial_cluster_token = "etcd-cluster";
  /// Default: "http://localhost:2380" (etcd's).
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  /// Adds N to the restored revision (needs etcd ≥ 3.4.27/3.5.10); 0 = off. Implies
  /// --mark-compacted so Kubernetes watchers re-list instead of seeing revisions go back.
  std::int64_t bump_revision = 0;
  /// etcdutl or etcdctl to run; empty: etcdutl from PATH, else etcdctl.
  std::string etcd_tool;
  /// Confirms replacing an existing, non-empty data dir.
  bool yes = false;
  /// Print every step, change nothing.
  bool dry_run = false;
  /// Told the bytes read while the snapshot is verified: (done, total); total is 0 when not
  /// known (a raw file). May be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  /// Where local snapshots are looked up by name.
  std::filesystem::path snapshot_dir = "/var/lib/kbackup/snapshots";
};

/// What a restore did (or, dry run, would do).
struct EtcdRestoreResult {
  std::string snapshot;  ///< name or file
  std::string source;    ///< where it was read from
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> previous_data_dir;  ///< where the old dir was moved
  std::int64_t revision = 0;                               ///< from the manifest, if any
  std::vector<std::string> steps;                          ///< every step, in order
  bool dry_run = false;
};

/// Restores `options.from` into `options.data_dir`. `store` (may be null) is the backup location
/// for names not found locally. `on_step` is told each step as it starts.
/// Order: refuse early (data dir in use, exists without --yes, tool missing) → verify every hash
/// into a work dir beside the data dir → tool restore into a new dir there → move the old data
/// dir aside → rename the new one into place. A failure before the swap leaves the data dir as
/// it was.
/// Errors: kFailedPrecondition (exists without --yes, etcd running on it, no tool),
///   kDataLoss (corrupt snapshot), kNotFound, kInternal (tool failed; its output included).
StatusOr<EtcdRestoreResult> RestoreEtcd(EtcdRestoreOptions const& options,
                                        uploader::ObjectStore* store, Clock& clock,
                                        std::function<void(std::string const&)> on_step = {});

}  // namespace kb::restore
