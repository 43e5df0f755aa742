// PrepareForRestore on volumes: the PV branch of Velero's restoreItem for a PV without
// snapshot, pvc_action.go and the PVC binding reset after the item actions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/restore_transform.h"
#include "tests/unit/kube/restore_test_objects.h"

namespace kb::kube {
namespace {

using testing::Obj;
using testing::Val;

RestoreItemContext Ctx() {
  RestoreItemContext ctx;
  ctx.backup_name = "b1";
  ctx.restore_name = "r1";
  return ctx;
}

// A PV provisioned by a CSI driver and bound, as backed up.
constexpr std::string_view kPv = R"({
  "apiVersion": "v1", "kind": "PersistentVolume",
  "metadata": {"name": "pvc-4f1d7a2e", "uid": "pv-uid", "resourceVersion": "1200",
    "creationTimestamp": "2026-11-01T08:00:00Z",
    "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes"},
    "finalizers": ["kubernetes.io/pv-protection"]},
  "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
           "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": "data",
                        "namespace": "shop", "resourceVersion": "1180", "uid": "pvc-uid"},
           "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0abc"},
           "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp3",
           "volumeMode": "Filesystem"},
  "status": {"phase": "Bound"}
})";

TEST(RestoreTransform, SkipsPersistentVolumeWithReclaimPolicyDelete) {
  json::object pv = Obj(kPv);
  pv["spec"].as_object()["persistentVolumeReclaimPolicy"] = "Delete";
  PreparedItem out = PrepareForRestore("persistentvolumes", std::move(pv), Ctx());
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason,
            "PersistentVolume with reclaim policy Delete and no snapshot: re-provisioned "
            "dynamically");
}

TEST(RestoreTransform, RetainedPersistentVolumeLosesClaimUidAndBindAnnotations) {
  PreparedItem out = PrepareForRestore("persistentvolumes", Obj(kPv), Ctx());
  EXPECT_FALSE(out.skip);
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "v1", "kind": "PersistentVolume",
    "metadata": {"name": "pvc-4f1d7a2e",
      "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
      "finalizers": ["kubernetes.io/pv-protection"],
      "labels": {"velero.io/backup-name": "b1", "velero.io/restore-name": "r1"}},
    "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
             "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": "data",
                          "namespace": "shop"},
             "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0abc"},
             "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp3",
             "volumeMode": "Filesystem"}
  })"));
}

TEST(RestoreTransform, RetainedPersistentVolumeClaimNamespaceIsMapped) {
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"shop", "shop-copy"}};
  PreparedItem out = PrepareForRestore("persistentvolumes", Obj(kPv), ctx);
  EXPECT_EQ(out.object.at("spec").at("claimRef").at("namespace"), "shop-copy");
  EXPECT_FALSE(out.object.at("metadata").as_object().contains("namespace"));
}

// A bound PVC as backed up.
constexpr std::string_view kPvc = R"({
  "apiVersion": "v1", "kind": "PersistentVolumeClaim",
  "metadata": {"name": "data", "namespace": "shop", "uid": "pvc-uid", "resourceVersion": "1180",
    "annotations": {"pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                    "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                    "volume.kubernetes.io/selected-node": "node-3",
                    "velero.io/volume-snapshot-name": "snap-1",
                    "velero.io/data-upload-name": "du-1",
                    "team": "storage"},
    "finalizers": ["kubernetes.io/pvc-protection"]},
  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
           "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": "pvc-4f1d7a2e"},
  "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}
})";

TEST(RestoreTransform, ClaimLosesBindAnnotationsAndKeepsVolumeOfRestoredPv) {
  std::vector<std::string> asked;
  RestoreItemContext ctx = Ctx();
  ctx.pv_restored = [&](std::string const& pv) {
    asked.push_back(pv);
    return true;
  };
  PreparedItem out = PrepareForRestore("persistentvolumeclaims", Obj(kPvc), ctx);
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data", "namespace": "shop", "annotations": {"team": "storage"},
                 "finalizers": ["kubernetes.io/pvc-protection"],
                 "labels": {"velero.io/backup-name": "b1", "velero.io/restore-name": "r1"}},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
             "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": "pvc-4f1d7a2e"}
  })"));
  EXPECT_EQ(asked, std::vector<std::string>{"pvc-4f1d7a2e"});
}

TEST(RestoreTransform, ClaimOfPvNotRestoredLosesVolumeName) {
  RestoreItemContext ctx = Ctx();
  ctx.pv_restored = [](std::string const&) { return false; };
  PreparedItem out = PrepareForRestore("persistentvolumeclaims", Obj(kPvc), ctx);
  EXPECT_FALSE(out.skip);
  EXPECT_FALSE(out.object.at("spec").as_object().contains("volumeName"));
  EXPECT_EQ(out.object.at("spec").at("storageClassName"), "gp3");
}

TEST(RestoreTransform, ClaimLosesVolumeNameWithoutPvLookup) {
  PreparedItem out = PrepareForRestore("persistentvolumeclaims", Obj(kPvc), Ctx());
  EXPECT_FALSE(out.object.at("spec").as_object().contains("volumeName"));
}

TEST(RestoreTransform, PendingClaimWithoutVolumeNameIsLeftAlone) {
  bool asked = false;
  RestoreItemContext ctx = Ctx();
  ctx.pv_restored = [&](std::string const&) { return asked = true; };
  json::object pvc = Obj(kPvc);
  pvc["spec"].as_object().erase("volumeName");
  PreparedItem out = PrepareForRestore("persistentvolumeclaims", std::move(pvc), ctx);
  EXPECT_FALSE(asked);
  EXPECT_EQ(out.object.at("metadata").at("annotations"), Val(R"({"team": "storage"})"));
}

}  // namespace
}  // namespace kb::kube
