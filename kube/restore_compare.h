#pragma once
// What a restore does when the object already exists in the target cluster: compare the live
// object with the prepared one and, with --existing-resource-policy update, patch it.
// Spec: ../shared/spec/velero-format.md §5.8 (restoreItem, processUpdateResourcePolicy in
// Velero pkg/restore/restore.go); RFC 7386 (JSON Merge Patch).

#include <string>

#include "agent/base/json.h"
#include "kube/restore_transform.h"

namespace kb::kube {

/// The live object `live` of type `group_resource`, as read from the target cluster, turned
/// into the shape PrepareForRestore gives a backed-up object: the same metadata reset and item
/// transforms (so fields they clear — clusterIP, nodeName, allocated nodePorts, claimRef uid, …
/// — compare equal), the restore labels of `ctx`, no status and no managedFields (the live ones
/// always differ). The live object is already in its target namespace, so no namespace mapping
/// is applied; ctx.service_account_exists is not called (skips do not matter here).
/// Differs from Velero, which normalises only metadata and status: a Service or Pod restored
/// once is "the same" on the next restore instead of drawing a warning.
json::object NormalizeForCompare(std::string const& group_resource, json::object live,
                                 RestoreItemContext const& ctx);

/// True when `prepared` (PreparedItem::object) and `live_normalized` (NormalizeForCompare) are
/// equal as JSON: object key order ignored, integers equal across signedness, integer and
/// floating-point numbers never equal (as Velero's semantic deep-equal on unstructured data).
/// metadata.managedFields is ignored on both sides.
bool SameObject(json::object const& prepared, json::object const& live_normalized);

/// The RFC 7386 JSON merge patch that turns `from` into `to`: changed or new fields set,
/// fields missing from `to` set to null, objects diffed member by member, arrays replaced
/// whole. metadata.managedFields, metadata.resourceVersion and metadata.uid are never in the
/// patch. Empty object when there is nothing to change.
/// For --existing-resource-policy update use UpdatePatch, which picks the right `from`.
json::object MergePatch(json::object const& from, json::object const& to);

/// The merge patch for --existing-resource-policy update (Velero's processUpdateResourcePolicy,
/// §5.8): from the live object `live` (as read, of type `group_resource`) to `prepared`
/// (PreparedItem::object). `from` is NormalizeForCompare(live) with the live object's own
/// labels, so the patch carries the backed-up fields and the restore labels, but never clears
/// what the server owns (uid, creationTimestamp, ownerReferences, status, managedFields) nor
/// fields the transforms clear (clusterIP, allocated nodePorts, nodeName, ...). When the
/// objects are SameObject, the patch holds only the restore labels (Velero patches them then
/// too). Send as PATCH, Content-Type application/merge-patch+json.
json::object UpdatePatch(std::string const& group_resource, json::object const& live,
                         json::object const& prepared, RestoreItemContext const& ctx);

/// The merge patch Velero applies to a ServiceAccount that exists and differs from the backup
/// (merge_service_account.go), whatever the existing-resource policy: secrets[] and
/// imagePullSecrets[] entries of `prepared` whose name the live object lacks are appended;
/// labels and annotations of `prepared` whose key the live object lacks are added (live values
/// win). Computed against the live object reset as Velero resets it (metadata and status only),
/// so the live token secret reference is kept. Like Velero, it never sets the restore labels.
/// Empty object when there is nothing to merge.
json::object ServiceAccountMergePatch(json::object const& live, json::object const& prepared,
                                      RestoreItemContext const& ctx);

/// The labels-only merge patch {"metadata":{"labels":{velero.io/backup-name: ...,
/// velero.io/restore-name: ...}}} of `ctx`: Velero's fallback when the UpdatePatch is refused.
json::object RestoreLabelsPatch(RestoreItemContext const& ctx);

}  // namespace kb::kube
