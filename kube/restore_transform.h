#pragma once
// The per-item part of a Velero-compatible restore: what Velero does to one backed-up object
// between reading it from the tarball and creating it. Pure: no I/O; the two questions that
// need the target cluster are asked through callbacks in RestoreItemContext.
// Spec: ../shared/spec/velero-format.md §5.3 (per-item skips), §5.5 (transforms, in Velero's
// order), §5.7 (namespace mapping); Velero pkg/restore/restore.go (restoreItem) and
// pkg/restore/actions/*.go.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/json.h"

namespace kb::kube {

/// Label put on every restored object: the backup's name (through ValidLabelValue).
inline constexpr std::string_view kBackupNameLabel = "velero.io/backup-name";
/// Label put on every restored object: the restore's name (through ValidLabelValue).
inline constexpr std::string_view kRestoreNameLabel = "velero.io/restore-name";
/// Object annotation that turns status restore on ("true") or off ("false") for one object,
/// whatever RestoreItemContext::restore_status says. Case and surrounding blanks are ignored.
inline constexpr std::string_view kRestoreStatusAnnotation = "velero.io/restore-status";

/// What PrepareForRestore needs to know about the restore and the target cluster.
/// The callbacks are called from the caller's thread; they must not be null when the restore
/// can answer them (null means "no").
struct RestoreItemContext {
  /// Names of the backup read and of this restore; values of the two restore labels.
  std::string backup_name, restore_name;
  /// Source namespace -> target namespace (Velero's spec.namespaceMapping). Namespaces not in
  /// the map keep their name. Default: empty.
  std::map<std::string, std::string> namespace_mapping;
  /// Keep every Service nodePort and healthCheckNodePort (Velero's --preserve-nodeports).
  /// Default: false (only ports the user set explicitly are kept).
  bool preserve_node_ports = false;
  /// GRs whose status is restored (--restore-status); "*" = all. The object's annotation
  /// velero.io/restore-status "true"/"false" overrides. Default: empty (no status restored).
  std::vector<std::string> restore_status;
  /// Does ServiceAccount ns/name exist in the target cluster (for SA-token secrets)? May be
  /// null = no. Asked with the Secret's namespace as backed up (before namespace mapping), as
  /// Velero's secret_action.go does.
  std::function<bool(std::string const& ns, std::string const& name)> service_account_exists;
  /// Will the PV of this name be restored (exists in the backup, reclaim policy Retain,
  /// included)? null = no. A PVC whose PV is not restored loses spec.volumeName and is
  /// provisioned anew. (Velero clears volumeName only for PVs of the backup it re-provisions;
  /// answer true for a PV absent from the backup to keep the claim pointed at it.)
  std::function<bool(std::string const& pv_name)> pv_restored;
};

/// One backed-up object made ready to create, or the reason Velero would not restore it.
struct PreparedItem {
  /// True when the object is not to be created; skip_reason says why.
  bool skip = false;
  /// One line, e.g. "completed Job", "mirror Pod", "service-account token Secret of an existing
  /// ServiceAccount", "PersistentVolume with reclaim policy Delete and no snapshot:
  /// re-provisioned dynamically". Empty when skip is false.
  std::string skip_reason;
  /// The object to create (namespace already mapped, restore labels added, no status). When
  /// skip is true: the object as far as it was transformed, for logs only.
  json::object object;
  /// Backed-up status when status restore is on for this item (to send with UpdateStatus after
  /// the create); nullopt when off, when the backup had no status, or when skip is true.
  std::optional<json::value> status;
};

/// Applies Velero's per-item restore transforms (§5.5, in Velero's order) to `item` (an object
/// as stored in the tarball) of type `group_resource` ("pods", "jobs.batch", ...):
///  - per-item skips (§5.3): Pods in phase Succeeded/Failed, Jobs with status.completionTime,
///    mirror Pods, automanaged APIServices, PVs with reclaim policy Delete, SA-token Secrets of
///    existing ServiceAccounts;
///  - PV: claimRef uid/resourceVersion and bind annotations removed, claimRef.namespace mapped;
///  - metadata reset (generateName, selfLink, uid, resourceVersion, generation,
///    creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, ownerReferences) and
///    status removed; name, namespace, labels, annotations, finalizers, managedFields kept;
///  - Velero's built-in RestoreItemActions for Pod, Service, ServiceAccount, Secret, Job, PVC,
///    RoleBinding, ClusterRoleBinding, CRD (v1), Mutating/ValidatingWebhookConfiguration (v1);
///  - PVC binding reset (spec.volumeName removed when ctx.pv_restored says no);
///  - metadata.namespace mapped, labels velero.io/backup-name and velero.io/restore-name set.
/// A field Velero clears through a typed round trip (Go omitempty) is removed, not set empty.
/// Never fails: malformed fields are left as they are (an object without a metadata object is
/// skipped with a reason).
PreparedItem PrepareForRestore(std::string const& group_resource, json::object item,
                               RestoreItemContext const& ctx);

/// `value` made a valid label value as Velero's label.GetValidName does: unchanged up to 63
/// bytes, else its first 57 bytes followed by the first 6 hex digits of its SHA-256.
std::string ValidLabelValue(std::string_view value);

}  // namespace kb::kube
