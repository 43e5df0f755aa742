#pragma once
// A Velero-compatible resource backup: lists every included object through the API server,
// streams the tarball into a ChunkSink while it is written, and returns the other files Velero
// keeps under "backups/<name>/", velero-backup.json last. Storing them in a backup location is
// the caller's (agent/backup_job.h). Spec: ../shared/spec/velero-format.md §1.2, §2, §3, §4, §6.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/base/chunk_sink.h"
#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "kube/backup_scope.h"
#include "kube/velero_files.h"

namespace kb::kube {

/// How far a running backup is (for a progress line).
struct ResourceBackupProgress {
  int types_done = 0;   ///< resource types whose lists ended
  int types_total = 0;  ///< resource types the backup lists
  std::uint64_t items = 0;          ///< objects written so far
  std::uint64_t tarball_bytes = 0;  ///< gzip bytes written so far
};

/// What to back up and how.
struct ResourceBackupOptions {
  /// The backup's name: the directory, metadata.name and the tarball's base name.
  std::string name;
  BackupScope scope;
  /// Recorded as spec.ttl; status.expiration = start + ttl. Default: 720h (Velero's).
  std::chrono::seconds ttl = std::chrono::hours(720);
  /// spec.storageLocation and the velero.io/storage-location label. Default: "default".
  std::string storage_location = "default";
  /// metadata.namespace of the Backup object (Velero's namespace). Default: "velero".
  std::string velero_namespace = "velero";
  /// Resource types listed at once. Default: 4.
  int parallel_lists = 4;
  /// Objects per LIST page. Default: 500 (Velero's --client-page-size).
  int page_size = 500;
  /// Called after each written object and each finished type, from the listing threads (one
  /// at a time); must be quick. Default: none.
  std::function<void(ResourceBackupProgress const&)> progress;
};

/// How a backup ended. phase is "Completed", "PartiallyFailed" or "Failed".
struct ResourceBackupResult {
  std::string phase;
  std::uint64_t items = 0;  ///< objects in the tarball
  std::uint64_t tarball_bytes = 0;
  std::vector<std::string> warnings;  ///< e.g. a type the credentials may not list (403)
  std::vector<std::string> errors;    ///< e.g. a type whose LIST failed
  std::chrono::system_clock::time_point started, completed;
  /// The files to store under backups/<name>/ once the tarball is stored, in this order:
  /// velero-backup.json is last, and a backup is listed only once it is there.
  std::vector<BackupFile> files;
};

/// Runs the backup: writes the gzip'd tarball ("<name>.tar.gz") into `tarball` and, once it is
/// closed cleanly, calls tarball.Finish(); when the tarball fails (a Write, the tar itself)
/// Finish is not called and the caller abandons the sink. Whatever fails after the start,
/// Finish included, is recorded in the result (errors make the phase PartiallyFailed, or
/// Failed when nothing could be listed or the tarball failed) and the files still describe
/// the backup with that phase; it is never marked Completed with errors.
/// Errors (the sink left unfinished; abandon it): kInvalidArgument (bad name), the sink's when
///   the tarball's first entry cannot be written or a related item cannot be added.
StatusOr<ResourceBackupResult> RunResourceBackup(ApiClient& client, ChunkSink& tarball,
                                                 ResourceBackupOptions const& options,
                                                 Clock& clock);

/// Key of `file` of backup `name`: "backups/<name>/<file>".
std::string BackupKey(std::string const& name, std::string const& file);

}  // namespace kb::kube
