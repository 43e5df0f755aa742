#pragma once
// Helpers for resource-restore tests against the real test clusters: a unique suffix, kbackup
// backup/restore runs on a MinIO location, objects read back with kubectl, and the comparison of
// a restored object with its source after the transforms a restore applies by design
// (docs/restore.md lists them).

#include <map>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "tests/support/velero_env.h"

namespace kb::testing {

/// "<pid>-<seconds>-<n>": unique per call within a test run and across runs.
std::string UniqueSuffix();

/// Runs `kbackup -o json --location <loc.url> backup create NAME --kubeconfig <cluster a> ARGS`;
/// returns its JSON result, or null with a test failure.
json::value BackupClusterA(MinioLocation const& loc, std::string const& name,
                           std::vector<std::string> const& args);

/// Runs `kbackup -o json --location <url> restore create NAME --from-backup BACKUP --kubeconfig
/// <cluster b> ARGS`; `exit_code` receives the exit code; returns the JSON document printed (an
/// empty object when there was none).
json::object RestoreIntoClusterB(std::string const& url, std::vector<std::string> const& env,
                                 std::string const& name, std::string const& backup,
                                 std::vector<std::string> const& args, int& exit_code,
                                 std::string* err = nullptr);

/// The object `resource` ("configmap", "Deployment.v1.apps") ns/name of cluster "A" or "B" as
/// JSON; an empty object when it does not exist.
json::object GetObject(std::string const& cluster, std::string const& resource,
                       std::string const& ns, std::string const& name);

/// `object` without what a restore changes by design: server-set metadata (uid,
/// resourceVersion, creationTimestamp, generation, managedFields, selfLink, ownerReferences,
/// namespace), status, the velero.io/backup-name and velero.io/restore-name labels, Service
/// cluster IPs, Job controller-uid labels (the API server sets new ones), PV claimRef
/// uid/resourceVersion, PVC/PV bind annotations, PVC volumeName (the
/// tests check it apart); namespaces in PV claimRefs and binding subjects mapped through
/// `mapping`.
json::object Comparable(json::object object, std::map<std::string, std::string> const& mapping);

/// kubectl's resource argument for a restored-resource-list type ("apps/v1/Deployment" →
/// "Deployment.v1.apps", "v1/ConfigMap" → "ConfigMap").
std::string KubectlResource(std::string const& type);

/// Removes the finalizers of namespace `ns` of cluster "A" or "B" (PUT .../finalize): no
/// controller manager runs in the test clusters, so a deleted namespace stays Terminating
/// until then. True on success.
bool FinalizeNamespace(std::string const& cluster, std::string const& ns);

/// Deletes namespace `ns` of cluster "A" or "B" and finalizes it, so that it is gone with
/// everything in it. True on success.
bool DeleteNamespaceNow(std::string const& cluster, std::string const& ns);

/// Deletes the Services of cluster b's namespaces whose name starts with `prefix` (fixture
/// Services hold NodePort 30080, which one Service at a time can have).
void DeleteServicesInClusterB(std::string const& prefix);

}  // namespace kb::testing
