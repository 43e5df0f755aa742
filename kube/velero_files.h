#pragma once
// The files Velero keeps beside a backup's tarball (velero-backup.json, logs, results,
// resource list, volume lists), and the related cluster-scoped items a namespace-filtered
// backup pulls in. Spec: ../shared/spec/velero-format.md §1.2, §3, §4, §6.3.

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "kube/backup_scope.h"

namespace kb::kube {

/// Annotation on the Backup objects kbackup writes (velero-backup.json): value "kbackup".
/// kbackup's expiry deletes only backups carrying it; Velero's own are left to Velero's GC.
inline constexpr char kWrittenByAnnotation[] = "kbackup.io/written-by";

/// Checks a backup name: a DNS-1123 subdomain (what a Backup object's metadata.name must be),
/// at most 63 characters so it also fits in a label value. Errors: kInvalidArgument.
Status ValidateBackupName(std::string const& name);

/// Velero's results.Result pair: errors and warnings, each by "velero", "cluster" and
/// namespace. Not thread-safe.
class BackupResults {
 public:
  /// Records a message for namespace `ns` ("" = the backup as a whole).
  void AddError(std::string const& ns, std::string message);
  void AddWarning(std::string const& ns, std::string message);
  std::vector<std::string> AllErrors() const;
  std::vector<std::string> AllWarnings() const;
  /// {"errors": Result, "warnings": Result}, empty parts left out as Velero's omitempty does.
  json::object ToJson() const;

 private:
  struct Result {
    std::vector<std::string> velero;
    std::map<std::string, std::vector<std::string>> namespaces;
  };
  static json::object ResultJson(Result const& r);
  Result errors_, warnings_;
};

/// The backup's log in logrus text format, as `velero backup logs` shows it. Not thread-safe.
class BackupLog {
 public:
  /// Lines name the subject as `<subject_key>=<velero_namespace>/<name>` ("backup=velero/b1";
  /// a restore's log says "restore=velero/r1").
  BackupLog(Clock& clock, std::string name, std::string velero_namespace,
            std::string subject_key = "backup")
      : clock_(clock), backup_(velero_namespace + "/" + std::move(name)),
        subject_key_(std::move(subject_key)) {}
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void Info(std::string const& msg, Fields const& fields = {}) { Line("info", msg, fields); }
  void Warn(std::string const& msg, Fields const& fields = {}) { Line("warning", msg, fields); }
  void Error(std::string const& msg, Fields const& fields = {}) { Line("error", msg, fields); }
  std::string const& text() const { return text_; }

 private:
  void Line(char const* level, std::string const& msg, Fields const& fields);
  Clock& clock_;
  std::string backup_;
  std::string subject_key_;
  std::string text_;
};

/// What velero-backup.json records.
struct BackupMetadata {
  std::string name;
  std::string velero_namespace;
  std::string storage_location;
  BackupScope scope;
  std::chrono::seconds ttl{0};
  std::string server_git_version;  ///< "v1.34.4"
  std::string phase;               ///< Completed, PartiallyFailed or Failed
  std::chrono::system_clock::time_point started, completed;
  std::uint64_t items = 0;
  int warnings = 0;
  int errors = 0;
};

/// One entry of <name>-volumeinfo.json.gz (Velero's BackupVolumeInfo) for a backed-up PV bound
/// to a claim: kbackup takes no volume data, so every volume is recorded as skipped, which
/// restores the PV and its claim as Velero's own "no snapshot" path does.
struct BackupVolumeInfo {
  std::string pvc_namespace, pvc_name;  ///< the PV's claimRef
  std::string pv_name;
  std::string reclaim_policy;  ///< spec.persistentVolumeReclaimPolicy
  json::object labels;         ///< the PV's labels
};

/// The Backup object (velero.io/v1) for velero-backup.json.
json::object BackupObjectJson(BackupMetadata const& m);

/// One file Velero keeps beside a backup's tarball, to be stored as backups/<backup>/<name>.
struct BackupFile {
  std::string name;          ///< "<backup>-logs.gz", ..., "velero-backup.json"
  std::string content_type;  ///< "application/gzip" or "application/json"
  std::string bytes;         ///< the whole file
};

/// Encodes the files beside the tarball, in the order they are to be stored: the logs, the
/// resource list, the results, the (empty) volume snapshot, pod volume backup and item
/// operation lists, the volume infos of `volumes` (sorted by claim), each gzip'd JSON as Velero
/// writes it, then velero-backup.json last. Store them in that order and stop at the first
/// failure: velero-backup.json must not be stored when an earlier file was not.
/// Errors: kInternal (gzip failed).
StatusOr<std::vector<BackupFile>> EncodeBackupFiles(
    BackupMetadata const& meta, BackupLog const& log, BackupResults const& results,
    std::map<std::string, std::vector<std::string>> resource_list,
    std::vector<BackupVolumeInfo> volumes = {});

/// Writes one object of type `r` into the backup.
using ItemWriter = std::function<Status(ApiResource const&, json::object const&)>;

/// What the backed-up items refer to, for BackupRelatedItems.
struct RelatedRefs {
  std::set<std::string> bound_pvs;          ///< PV names of backed-up bound PVCs
  std::set<std::string> service_accounts;   ///< "<ns>/<name>" of backed-up ServiceAccounts
  std::set<std::string> priority_classes;   ///< spec.priorityClassName of backed-up Pods
  std::set<std::string> pod_claims;         ///< "<ns>/<claim>" of backed-up Pods' PVC volumes
  std::set<std::string> backed_up_types;    ///< group-resources with items
};

/// Adds the items Velero's backup item actions pull in beside what the lists found: the PVCs of
/// backed-up Pods (Velero's pod action), then, unless cluster resources are false, the PVs of
/// backed-up bound PVCs, the PriorityClasses of Pods, the ClusterRoleBindings naming a
/// backed-up ServiceAccount with their ClusterRoles, and the CRD of each backed-up custom type
/// (unless CRDs are explicitly included or excluded). Related items ignore the label selector,
/// as in Velero; PVCs pass the resource filters, cluster items only an explicit exclude. Nothing
/// is fetched when the lists already covered it (no selector, and cluster-scoped types listed,
/// or for PVCs, no selector). Each item goes to `write`, which must skip items already written.
/// A missing item is skipped; other failures are recorded in `results`.
/// Errors: those of `write` (the tarball failed).
Status BackupRelatedItems(ApiClient& client, DiscoveryResult const& discovery,
                          BackupScope const& scope, RelatedRefs const& refs,
                          ItemWriter const& write, BackupResults& results);

}  // namespace kb::kube
