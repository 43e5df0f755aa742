#pragma once
// Expiry: deletes the backups of a location whose expiration has passed, as Velero's garbage
// collection does for velero-backup.json (status.expiration), so that a Velero sharing the
// location agrees on what expired. Only what kbackup wrote is ever deleted, and nothing still
// being written: Velero-format backups must carry kube::kWrittenByAnnotation.

#include <chrono>
#include <string>
#include <vector>

#include "agent/base/status.h"
#include "uploader/object_store.h"

namespace kb::agent {

/// What to expire.
struct GcOptions {
  /// Backups whose expiration is at or before this time are expired.
  std::chrono::system_clock::time_point now;
  /// Say what would be deleted; delete nothing.
  bool dry_run = false;
};

/// One backup the run looked at and did not keep.
struct GcEntry {
  std::string kind;        ///< "etcd-snapshot" or "backup" (Velero format)
  std::string name;
  std::string expiration;  ///< RFC 3339
  int objects_deleted = 0;
  std::string error;       ///< why deleting it failed; empty when it was deleted
};

/// What one run did.
struct GcReport {
  std::vector<GcEntry> deleted;  ///< in a dry run: would be deleted
  std::vector<GcEntry> failed;
  int kept = 0;            ///< not expired (or no expiration)
  int not_ours = 0;        ///< expired Velero backups written by Velero: left to Velero's GC
  int in_progress = 0;     ///< expired but not finished (phase not final): never deleted
};

/// Deletes the expired etcd snapshots (manifest expires_at; the manifest first, then the
/// snapshot) and the expired Velero-format backups kbackup wrote (status.expiration;
/// velero-backup.json first, then every object under backups/<name>/), so that a deletion cut
/// short never leaves something listed as a whole backup. Snapshot objects without a manifest
/// and backup directories without velero-backup.json are in progress or half deleted: never
/// touched. A backup that fails to delete is reported and the run goes on.
/// Errors: the store's, when listing fails.
StatusOr<GcReport> ExpireBackups(uploader::ObjectStore& store, GcOptions const& options);

}  // namespace kb::agent
