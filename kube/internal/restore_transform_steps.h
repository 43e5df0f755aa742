#pragma once
// Private to kube/: the steps of PrepareForRestore (kube/restore_transform.h), one function
// per Velero rule, shared by restore_transform*.cc and restore_compare.cc. Every step edits the
// object in place, never throws and leaves fields of an unexpected JSON type alone.

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "agent/base/json.h"
#include "kube/restore_transform.h"

namespace kb::kube::internal {

/// Group-resources the steps apply to, spelled as tarball directories.
inline constexpr std::string_view kPods = "pods";
inline constexpr std::string_view kServices = "services";
inline constexpr std::string_view kServiceAccounts = "serviceaccounts";
inline constexpr std::string_view kSecrets = "secrets";
inline constexpr std::string_view kJobs = "jobs.batch";
inline constexpr std::string_view kPersistentVolumes = "persistentvolumes";
inline constexpr std::string_view kPersistentVolumeClaims = "persistentvolumeclaims";
inline constexpr std::string_view kRoleBindings = "rolebindings.rbac.authorization.k8s.io";
inline constexpr std::string_view kClusterRoleBindings =
    "clusterrolebindings.rbac.authorization.k8s.io";
inline constexpr std::string_view kCrds = "customresourcedefinitions.apiextensions.k8s.io";
inline constexpr std::string_view kMutatingWebhooks =
    "mutatingwebhookconfigurations.admissionregistration.k8s.io";
inline constexpr std::string_view kValidatingWebhooks =
    "validatingwebhookconfigurations.admissionregistration.k8s.io";
inline constexpr std::string_view kApiServices = "apiservices.apiregistration.k8s.io";

/// The object at obj[path[0]][path[1]]..., or null when a step is missing or not an object.
json::object* FindObject(json::object& obj, std::initializer_list<std::string_view> path);
/// Const overload of FindObject.
json::object const* FindObject(json::object const& obj,
                               std::initializer_list<std::string_view> path);
/// The string at the end of `path`, or "" when missing or not a string.
std::string FindString(json::object const& obj, std::initializer_list<std::string_view> path);
/// Erases `keys` from the map at `path`, and the map itself when that leaves it empty (as Go's
/// omitempty does after Velero's typed round trip). No-op when the map is missing.
void EraseFromMap(json::object& obj, std::initializer_list<std::string_view> path,
                  std::initializer_list<std::string_view> keys);

/// §5.5 steps 1–4 (skips, PV logic, metadata/status reset, item actions, PVC binding reset)
/// applied to `obj` of type `gr`. Unlike Velero it does not stop at a skip: every step runs,
/// so restore_compare.cc can normalise live objects; only a missing metadata object stops it.
/// Returns: the first skip reason, "" when the object is to be created.
std::string ApplyItemTransforms(std::string_view gr, json::object& obj,
                                RestoreItemContext const& ctx);

/// Sets metadata.labels velero.io/backup-name and velero.io/restore-name (ValidLabelValue).
void AddRestoreLabels(json::object& obj, std::string const& backup_name,
                      std::string const& restore_name);

/// Velero's resetMetadataAndStatus. Returns false when obj has no metadata object.
bool ResetMetadataAndStatus(json::object& obj);

/// Pod (pod_action.go): nodeName and priority removed; volumes named <sa>-token-* and their
/// volumeMounts in containers and initContainers removed.
void TransformPod(json::object& pod);
/// Service (service_action.go): clusterIP(s) cleared unless "None"; nodePorts and
/// healthCheckNodePort the user did not set removed unless `preserve_node_ports`.
void TransformService(json::object& service, bool preserve_node_ports);
/// ServiceAccount (service_account_action.go): the last secrets[] entry named <sa>-token-*
/// removed.
void TransformServiceAccount(json::object& sa);
/// Secret (secret_action.go): returns a skip reason for the token Secret of an existing
/// ServiceAccount; other service-account-token Secrets lose the uid annotation and data
/// token/ca.crt. Other types untouched.
std::string TransformSecret(json::object& secret, RestoreItemContext const& ctx);
/// Job (job_action.go): controller-uid labels out of selector.matchLabels and template labels.
void TransformJob(json::object& job);
/// PersistentVolume (restoreItem PV logic): returns a skip reason for reclaim policy Delete;
/// else claimRef.namespace mapped and the binding reset (ResetVolumeBinding).
std::string TransformPersistentVolume(json::object& pv,
                                      std::map<std::string, std::string> const& mapping);
/// PVC (pvc_action.go): bind and provisioner annotations removed.
void TransformPvcAnnotations(json::object& pvc);
/// PVC post-processing in restoreItem: binding reset when spec.volumeName is set, and
/// volumeName removed when ctx.pv_restored says the PV is not restored.
void ResetPvcBinding(json::object& pvc, RestoreItemContext const& ctx);
/// Velero's resetVolumeBindingInfo: spec.claimRef uid/resourceVersion and annotations
/// pv.kubernetes.io/bind-completed and pv.kubernetes.io/bound-by-controller removed.
void ResetVolumeBinding(json::object& obj);
/// RoleBinding / ClusterRoleBinding: subjects[].namespace mapped.
void RemapSubjects(json::object& binding, std::map<std::string, std::string> const& mapping);
/// CRD apiextensions.k8s.io/v1 with spec.preserveUnknownFields: it goes (false) and every
/// version's openAPIV3Schema gets x-kubernetes-preserve-unknown-fields: true.
void TransformCrd(json::object& crd);
/// Admission webhook configuration v1: sideEffects other than None/NoneOnDryRun become None.
void TransformWebhookConfiguration(json::object& config);
/// APIService labelled kube-aggregator.kubernetes.io/automanaged: returns a skip reason.
std::string ApiServiceSkipReason(json::object const& api_service);

}  // namespace kb::kube::internal
