#pragma once
// Cross-cluster resource restore of a Velero-format backup (kbackup's or Velero's own) from a
// backup location into a live cluster, with Velero's semantics: its priorities, filters,
// cluster-scope rule, per-item transforms, namespace mapping and existing-resource policy, but
// with the items of one priority tier applied in parallel. The tarball is streamed from the
// location (never extracted to disk); memory is bounded by a byte budget per pass, whatever the
// backup's size. Spec: ../shared/spec/velero-format.md §1.3, §5.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "uploader/object_store.h"

namespace kb::restore {

/// What to restore and how (Velero's Restore spec fields of the same names).
struct ResourceRestoreOptions {
  /// The restore's name: restores/<name>/ in the location, and the velero.io/restore-name label.
  std::string name;
  /// The backup to restore (backups/<backup_name>/ in the location).
  std::string backup_name;
  /// Namespace globs matched against the backup's (source) namespaces; empty or "*" = all.
  std::vector<std::string> included_namespaces;
  std::vector<std::string> excluded_namespaces;
  /// Resource names ("deployments", "deployments.apps", "Deployment", globs); empty = all.
  std::vector<std::string> included_resources;
  std::vector<std::string> excluded_resources;
  /// true: every cluster-scoped item; false: none; nullopt (auto): all when the namespace filter
  /// takes every namespace, else only the PVs, PriorityClasses and PVCs that restored items use.
  std::optional<bool> include_cluster_resources;
  /// A label selector ("app=web,tier in (a,b)"); empty = every item.
  std::string label_selector;
  /// Source namespace → target namespace.
  std::map<std::string, std::string> namespace_mappings;
  /// "none" (an existing object is left alone; a warning when it differs) or "update" (an
  /// existing object that differs is patched to the backed-up version). Default: "none".
  std::string existing_resource_policy = "none";
  /// Keep Services' node ports. Default: false (cleared unless set explicitly, as Velero).
  bool preserve_node_ports = false;
  /// Group-resources whose status is restored after create ("*" = all). Default: none.
  std::vector<std::string> restore_status;
  /// Items applied at once within a priority tier. Default: 16.
  int parallel = 16;
  /// Print the plan (what would be created, updated, skipped, and why); apply nothing and write
  /// nothing to the location.
  bool dry_run = false;
  /// How long a created CRD may take to become Established. Default: 10 min (Velero's
  /// --resource-timeout).
  std::chrono::seconds crd_timeout{600};
  /// How long to wait for a target namespace that is being deleted (Terminating) to be gone
  /// before it is created again; past it, the namespace and its items fail. Default: 10 min
  /// (Velero's --terminating-resource-timeout).
  std::chrono::seconds terminating_timeout{600};
  /// Raw item JSON held in memory at once while a pass buffers later tiers. Default: 4 MiB
  /// (peak memory stays nearly flat from small to large backups; a larger budget saves passes).
  std::uint64_t pass_budget_bytes = 4ull << 20;
  /// Called as items finish (from worker threads, one at a time); must be quick.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

/// What happened to one item. action: "created", "updated", "skipped" or "failed"; in a dry
/// run "create", "update" or "skip" (would be).
struct RestoredItem {
  std::string type;  ///< "<apiVersion>/<Kind>", e.g. "apps/v1/Deployment", "v1/ConfigMap"
  std::string namespace_name;  ///< target namespace; "" for cluster-scoped
  std::string name;
  std::string action;
  std::string message;  ///< why it was skipped, or the API server's message for a failure
};

/// How a restore ended.
struct ResourceRestoreResult {
  std::string name;
  std::string backup_name;
  std::string phase;  ///< Completed, PartiallyFailed or Failed (dry run: "DryRun")
  std::uint64_t created = 0, updated = 0, skipped = 0, failed = 0;
  std::vector<RestoredItem> items;      ///< every item considered, in the order they ended
  std::vector<std::string> warnings;    ///< e.g. a StorageClass missing in the target
  std::vector<std::string> errors;      ///< one per failed item, plus whole-restore failures
  std::chrono::system_clock::time_point started, completed;
};

/// Restores `options.backup_name` from `store` into the cluster behind `client`: reads the
/// backup's velero-backup.json (phase must be Completed or PartiallyFailed), scans the tarball
/// once (bad entries refuse the whole restore before anything is applied), checks the target
/// (every type exists or comes with its CRD; StorageClasses named by PVCs/PVs exist: a warning
/// otherwise), creates CRDs and waits until they are Established, creates the namespaces, then
/// applies every tier in Velero's order, items of a tier in parallel. Unless dry_run, writes
/// restores/<name>/ as Velero does (log, results, resource list) and velero-restore.json last.
/// Errors (nothing applied): kNotFound (no such backup), kFailedPrecondition (backup phase,
///   format version, types missing in the target), kAlreadyExists (a restore of that name is in
///   the location), kDataLoss (a bad tarball entry, a truncated gzip), kInvalidArgument (bad
///   options), the cluster's and the location's errors. Per-item failures are in the result.
StatusOr<ResourceRestoreResult> RunResourceRestore(kube::ApiClient& client,
                                                   uploader::ObjectStore& store,
                                                   ResourceRestoreOptions const& options,
                                                   Clock& clock);

/// Checks the options (names, policy, parallel). Errors: kInvalidArgument naming the flag.
Status ValidateRestoreOptions(ResourceRestoreOptions const& options);

}  // namespace kb::restore
