#pragma once
// One Velero-compatible resource backup into a backup location, end to end: refuse a name
// already taken → stream the tarball (kube::RunResourceBackup) through a local staging file and
// a pipelined multipart upload at once → the files beside it, velero-backup.json last.
// Spec: ../shared/spec/velero-format.md §1.2.

#include <filesystem>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "kube/velero_backup.h"
#include "uploader/multipart_uploader.h"
#include "uploader/object_store.h"

namespace kb::agent {

/// What to back up and how to upload it.
struct BackupJobOptions {
  /// What to back up (name, scope, TTL, parallelism, progress).
  kube::ResourceBackupOptions backup;
  /// Where the tarball is staged while it uploads, with its upload journal; both are deleted
  /// after. Default: the temp dir.
  std::filesystem::path work_dir = std::filesystem::temp_directory_path();
  /// Multipart tuning of the tarball upload (its journal_path and content type are set here).
  uploader::UploadOptions upload;
};

/// Backs up the cluster `client` reaches into `store` under backups/<name>/: the tarball
/// (uploaded while it is written; aborted when it fails), then the files
/// kube::RunResourceBackup returns, in its order, velero-backup.json last. A backup whose
/// tarball or lists failed is still stored, with phase PartiallyFailed or Failed.
/// Errors (velero-backup.json not written, so no backup is listed): kInvalidArgument (bad name),
///   kAlreadyExists (a backup of that name is in the location), the staging file's errors, the
///   location's when a file beside the tarball cannot be stored.
StatusOr<kube::ResourceBackupResult> RunBackupJob(kube::ApiClient& client,
                                                  uploader::ObjectStore& store,
                                                  BackupJobOptions const& options, Clock& clock);

/// Fails when backup `name` is in `store` (its velero-backup.json exists).
/// Errors: kAlreadyExists naming the backup and the location.
Status RefuseExistingBackup(uploader::ObjectStore& store, std::string const& name);

/// Stores `files` under backups/<name>/ in their order, each with its content type, and stops
/// at the first failure, so velero-backup.json (last) is stored only after every other file.
/// Errors: the store's.
Status PutBackupFiles(uploader::ObjectStore& store, std::string const& name,
                      std::vector<kube::BackupFile> const& files);

}  // namespace kb::agent
