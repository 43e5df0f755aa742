#pragma once
// The files of a resource restore in a backup location, as Velero writes them under
// restores/<name>/ (log, results, restored resource list, item operations, volume infos), plus
// velero-restore.json, kbackup's record of the restore (a velero.io/v1 Restore object; Velero
// keeps that object in its cluster instead), written last so that a restore is listed only once
// its files are complete. Spec: ../shared/spec/velero-format.md §1.3.

#include <map>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "agent/base/status.h"
#include "kube/velero_files.h"
#include "restore/resource_restore.h"
#include "uploader/object_store.h"

namespace kb::restore {

/// Key of `file` of restore `name`: "restores/<name>/<file>".
std::string RestoreKey(std::string const& name, std::string const& file);

/// What velero-restore.json records of a restore.
struct RestoreRecord {
  ResourceRestoreOptions const& options;
  ResourceRestoreResult const& result;
};

/// The Restore object (velero.io/v1) of a finished restore.
json::object RestoreObjectJson(RestoreRecord const& record);

/// Velero's restored resource list: "<apiVersion>/<Kind>" → sorted "ns/name(action)".
std::map<std::string, std::vector<std::string>> RestoredResourceList(
    std::vector<RestoredItem> const& items);

/// Writes restores/<name>/: restore-<name>-logs.gz, restore-<name>-results.gz,
/// restore-<name>-resource-list.json.gz, restore-<name>-itemoperations.json.gz,
/// <name>-volumeinfo.json.gz (gzip'd JSON as Velero writes them), then velero-restore.json.
/// Errors: the store's; velero-restore.json is not written when an earlier file failed.
Status WriteRestoreFiles(uploader::ObjectStore& store, RestoreRecord const& record,
                         kube::BackupLog const& log, kube::BackupResults const& results);

/// One restore as velero-restore.json describes it.
struct RestoreSummary {
  std::string name;
  std::string backup_name;
  std::string phase;
  std::string started, completed;  ///< RFC 3339
  std::int64_t items_restored = 0, total_items = 0, warnings = 0, errors = 0;
  json::object object;  ///< the whole Restore object
};

/// Every restore under restores/ that has a velero-restore.json, newest first. Directories
/// without one (a restore being written, or one Velero wrote) are listed by ListRestoreNames.
/// Errors: the store's.
StatusOr<std::vector<RestoreSummary>> ListRestores(uploader::ObjectStore& store);

/// Reads restores/<name>/velero-restore.json. Errors: kNotFound naming the restore.
StatusOr<RestoreSummary> ReadRestore(uploader::ObjectStore& store, std::string const& name);

/// Reads and un-gzips restores/<name>/restore-<name><suffix> ("-logs.gz", "-results.gz", ...).
/// Errors: kNotFound, kDataLoss (not gzip).
StatusOr<std::string> ReadRestoreFile(uploader::ObjectStore& store, std::string const& name,
                                      std::string const& suffix);

}  // namespace kb::restore
