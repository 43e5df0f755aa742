#pragma once
// The Velero backups in a backup location: list, read one's metadata, results and logs, and
// delete one with every object under its directory. (Writing one is agent/backup_job.h's.) Spec: ../shared/spec/velero-format.md §1.

#include <string>
#include <vector>

#include "agent/base/json.h"
#include "agent/base/status.h"
#include "uploader/object_store.h"

namespace kb::restore {

/// One backup as velero-backup.json describes it.
struct BackupSummary {
  std::string name;
  std::string phase;
  std::string started, completed, expiration;  ///< RFC 3339, "" when absent
  std::int64_t items = 0;
  std::int64_t warnings = 0;
  std::int64_t errors = 0;
  json::object object;  ///< the whole Backup object
};

/// Every backup under backups/ that has a velero-backup.json, newest first. Directories without
/// it (a backup being written, or half deleted) are not backups and are left out.
/// Errors: the store's.
StatusOr<std::vector<BackupSummary>> ListVeleroBackups(uploader::ObjectStore& store);

/// Reads backups/<name>/velero-backup.json. Errors: kNotFound naming the backup and location.
StatusOr<BackupSummary> ReadVeleroBackup(uploader::ObjectStore& store, std::string const& name);

/// Reads and un-gzips backups/<name>/<name><suffix> ("-logs.gz", "-results.gz", ...).
/// Errors: kNotFound, kDataLoss (not gzip).
StatusOr<std::string> ReadBackupFile(uploader::ObjectStore& store, std::string const& name,
                                     std::string const& suffix);

/// Deletes every object under backups/<name>/, velero-backup.json first so that a deletion cut
/// short never leaves something that looks like a backup. Returns the number of objects deleted.
/// Errors: kNotFound (no such backup), the store's.
StatusOr<int> DeleteVeleroBackup(uploader::ObjectStore& store, std::string const& name);

}  // namespace kb::restore
