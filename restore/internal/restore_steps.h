#pragma once
// The steps of a resource restore before the apply passes: pre-flight checks of the target,
// the CRDs (created, then waited on until Established), the namespaces.
// Spec: ../shared/spec/velero-format.md §5.1 (steps 1, 4), §5.4 (namespaces).

#include <set>
#include <string>

#include "agent/base/clock.h"
#include "kube/api_client.h"
#include "kube/discovery.h"
#include "kube/restore_transform.h"
#include "kube/velero_tar_reader.h"
#include "restore/internal/restore_run.h"
#include "restore/internal/work_queue.h"
#include "restore/item_applier.h"
#include "restore/restore_scan.h"
#include "restore/restore_selection.h"

namespace kb::restore::internal {

/// What the steps share.
struct StepContext {
  kube::ApiClient& client;
  ResourceRestoreOptions const& options;
  RestoreSelection const& selection;
  BackupScan const& scan;
  kube::TarballSource const& source;
  std::string const& what;
  WorkQueue& queue;
  RestoreRun& run;
  Clock& clock;
};

/// Checks the target before anything is applied: every restored type is served at the
/// backed-up version, or its CRD comes with the backup; StorageClasses named by restored PVCs
/// and PVs exist (a warning listing the missing ones otherwise).
/// Errors: kFailedPrecondition listing the missing types and what to do; the cluster's.
Status Preflight(kube::ApiClient& client, kube::DiscoveryResult const& discovery,
                 BackupScan const& scan, RestoreRun& run);

/// Group-resources the backup's CRDs define that `types` does not serve yet.
std::set<std::string> PendingTypes(BackupScan const& scan, TargetTypes const& types);

/// Applies the backup's CRDs (one pass over the tarball), waits until each created or updated
/// one is Established and its names accepted (options.crd_timeout), then discovers the target
/// again into `discovery`. A dry run only says what it would do.
/// Errors: the tarball's, discovery's. A CRD that never becomes Established is an error of the
/// restore, recorded in the run.
Status RestoreCrds(StepContext const& ctx, kube::DiscoveryResult& discovery,
                   kube::RestoreItemContext const& item_context);

/// Creates the target namespaces (mapped) of the restored items and of the namespace objects
/// the filters take, with the labels, annotations and spec the backup holds for them; existing
/// ones are left as they are. Outcomes are recorded as v1/Namespace items.
void CreateNamespaces(StepContext const& ctx);

}  // namespace kb::restore::internal
