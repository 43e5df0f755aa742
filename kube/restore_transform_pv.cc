// PersistentVolumes and PersistentVolumeClaims: the PV branch of Velero's restoreItem for a PV
// without snapshot (hasDeleteReclaimPolicy, handleSkippedPVHasRetainPolicy, remapClaimRefNS,
// resetVolumeBindingInfo in pkg/restore/restore.go), PVCAction
// (pkg/restore/actions/pvc_action.go) and the PVC post-processing of restoreItem.
#include <string>

#include "kube/internal/restore_transform_steps.h"

namespace kb::kube::internal {

void ResetVolumeBinding(json::object& obj) {
  if (json::object* claim_ref = FindObject(obj, {"spec", "claimRef"})) {
    claim_ref->erase("uid");
    claim_ref->erase("resourceVersion");
  }
  EraseFromMap(obj, {"metadata", "annotations"},
               {"pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller"});
}

std::string TransformPersistentVolume(json::object& pv,
                                      std::map<std::string, std::string> const& mapping) {
  if (FindString(pv, {"spec", "persistentVolumeReclaimPolicy"}) == "Delete") {
    return "PersistentVolume with reclaim policy Delete and no snapshot: re-provisioned "
           "dynamically";
  }
  if (json::object* claim_ref = FindObject(pv, {"spec", "claimRef"})) {
    auto it = mapping.find(JsonString(*claim_ref, "namespace"));
    if (it != mapping.end()) (*claim_ref)["namespace"] = it->second;
  }
  ResetVolumeBinding(pv);
  return "";
}

void TransformPvcAnnotations(json::object& pvc) {
  EraseFromMap(pvc, {"metadata", "annotations"},
               {
                   "pv.kubernetes.io/bind-completed",
                   "pv.kubernetes.io/bound-by-controller",
                   "volume.kubernetes.io/storage-provisioner",
                   "volume.beta.kubernetes.io/storage-provisioner",
                   "volume.kubernetes.io/selected-node",
                   "velero.io/volume-snapshot-name",
                   "velero.io/data-upload-name",
               });
}

void ResetPvcBinding(json::object& pvc, RestoreItemContext const& ctx) {
  std::string const volume = FindString(pvc, {"spec", "volumeName"});
  if (volume.empty()) return;
  ResetVolumeBinding(pvc);
  if (!ctx.pv_restored || !ctx.pv_restored(volume)) {
    if (json::object* spec = FindObject(pvc, {"spec"})) spec->erase("volumeName");
  }
}

}  // namespace kb::kube::internal
