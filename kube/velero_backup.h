#pragma once
// A Velero-compatible resource backup: lists every included object through the API server and
// writes, under "backups/<name>/" of a backup location, exactly the files Velero writes, the
// tarball streamed through the multipart uploader while it is written and velero-backup.json
// last. Spec: ../shared/spec/velero-format.md §1.2, §2, §3, §4, §6.

#include <chrono>
#include <functional>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "kube/backup_scope.h"
#include "uploader/multipart_uploader.h"
#include "uploader/object_store.h"

namespace kb::kube {

/// What to back up and how.
/// How far a running backup is (for a progress line).
struct ResourceBackupProgress {
  int types_done = 0;   ///< resource types whose lists ended
  int types_total = 0;  ///< resource types the backup lists
  std::uint64_t items = 0;          ///< objects written so far
  std::uint64_t tarball_bytes = 0;  ///< gzip bytes written so far
};

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
  /// Where the tarball is staged while it uploads (deleted after). Default: the temp dir.
  std::filesystem::path work_dir = std::filesystem::temp_directory_path();
  /// Multipart tuning of the tarball upload.
  uploader::UploadOptions upload;
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
};

/// Runs the backup. Whatever fails after the start is recorded in the result (errors make the
/// phase PartiallyFailed, or Failed when nothing could be listed) and the backup is still
/// written with that phase; it is never marked Completed with errors.
/// Errors (nothing written): kAlreadyExists (a backup of that name is in the location),
///   kInvalidArgument (bad name), the location's errors when even velero-backup.json cannot be
///   written.
StatusOr<ResourceBackupResult> RunResourceBackup(ApiClient& client, uploader::ObjectStore& store,
                                                 ResourceBackupOptions const& options,
                                                 Clock& clock);

/// Key of `file` of backup `name`: "backups/<name>/<file>".
std::string BackupKey(std::string const& name, std::string const& file);

}  // namespace kb::kube
