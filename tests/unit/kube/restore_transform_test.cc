// PrepareForRestore: metadata reset, namespace mapping, restore labels, status restore and the
// label-value rule (Velero pkg/restore/restore.go, pkg/label/label.go).
#include "kube/restore_transform.h"

#include <gtest/gtest.h>

#include "tests/unit/kube/restore_test_objects.h"

namespace kb::kube {
namespace {

using testing::Obj;
using testing::Val;

RestoreItemContext Ctx() {
  RestoreItemContext ctx;
  ctx.backup_name = "nightly";
  ctx.restore_name = "nightly-20261124";
  return ctx;
}

// A ConfigMap as `kubectl get -o json` shows it, owned by a Helm-managed parent.
constexpr std::string_view kConfigMap = R"({
  "apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {
    "name": "app-config", "namespace": "shop", "generateName": "app-",
    "uid": "0b0c2f7e-3d1a-4c55-9a51-6c8d7e1f2a3b", "resourceVersion": "48213",
    "generation": 1, "creationTimestamp": "2026-11-20T10:00:00Z",
    "selfLink": "/api/v1/namespaces/shop/configmaps/app-config",
    "deletionTimestamp": "2026-11-24T01:00:00Z", "deletionGracePeriodSeconds": 0,
    "labels": {"app": "shop"},
    "annotations": {"meta.helm.sh/release-name": "shop"},
    "finalizers": ["example.com/keep"],
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop",
                         "uid": "1d2e3f40-0000-4000-8000-000000000001", "controller": true}],
    "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1",
                       "time": "2026-11-20T10:00:00Z", "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:data": {"f:mode": {}}}}]
  },
  "data": {"mode": "prod"}
})";

TEST(RestoreTransform, ResetsServerMetadataAndKeepsLabelsAnnotationsFinalizersManagedFields) {
  PreparedItem out = PrepareForRestore("configmaps", Obj(kConfigMap), Ctx());
  EXPECT_FALSE(out.skip);
  EXPECT_EQ(out.skip_reason, "");
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {
      "name": "app-config", "namespace": "shop",
      "labels": {"app": "shop", "velero.io/backup-name": "nightly",
                 "velero.io/restore-name": "nightly-20261124"},
      "annotations": {"meta.helm.sh/release-name": "shop"},
      "finalizers": ["example.com/keep"],
      "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1",
                         "time": "2026-11-20T10:00:00Z", "fieldsType": "FieldsV1",
                         "fieldsV1": {"f:data": {"f:mode": {}}}}]
    },
    "data": {"mode": "prod"}
  })"));
  EXPECT_FALSE(out.status.has_value());
}

TEST(RestoreTransform, MapsNamespaceThroughNamespaceMapping) {
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"shop", "shop-restored"}, {"other", "x"}};
  PreparedItem out = PrepareForRestore("configmaps", Obj(kConfigMap), ctx);
  EXPECT_EQ(json::value(out.object.at("metadata").at("namespace")), "shop-restored");
}

TEST(RestoreTransform, KeepsNamespaceNotInMapping) {
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"billing", "billing-2"}};
  PreparedItem out = PrepareForRestore("configmaps", Obj(kConfigMap), ctx);
  EXPECT_EQ(json::value(out.object.at("metadata").at("namespace")), "shop");
}

TEST(RestoreTransform, ClusterScopedItemGetsNoNamespace) {
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"", "oops"}};
  PreparedItem out = PrepareForRestore("priorityclasses.scheduling.k8s.io", Obj(R"({
    "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
    "metadata": {"name": "high", "uid": "5e8d", "resourceVersion": "77",
                 "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 1},
    "value": 1000000, "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority"
  })"), ctx);
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
    "metadata": {"name": "high", "labels": {"velero.io/backup-name": "nightly",
                                            "velero.io/restore-name": "nightly-20261124"}},
    "value": 1000000, "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority"
  })"));
}

TEST(RestoreTransform, RestoreLabelsReplaceOnesFromAnEarlierRestore) {
  json::object item = Obj(kConfigMap);
  item["metadata"].as_object()["labels"] = Val(
      R"({"app": "shop", "velero.io/backup-name": "weekly", "velero.io/restore-name": "old"})");
  PreparedItem out = PrepareForRestore("configmaps", std::move(item), Ctx());
  EXPECT_EQ(out.object.at("metadata").at("labels"),
            Val(R"({"app": "shop", "velero.io/backup-name": "nightly",
                    "velero.io/restore-name": "nightly-20261124"})"));
}

TEST(RestoreTransform, LongBackupNameLabelIsCutAndHashed) {
  RestoreItemContext ctx = Ctx();
  ctx.backup_name = "nightly-full-cluster-backup-of-production-eu-west-1-20261124020000";
  PreparedItem out = PrepareForRestore("configmaps", Obj(kConfigMap), ctx);
  EXPECT_EQ(out.object.at("metadata").at("labels").at("velero.io/backup-name"),
            "nightly-full-cluster-backup-of-production-eu-west-1-20261ffc6d8");
}

TEST(RestoreTransform, ValidLabelValueKeeps63BytesAndHashesLonger) {
  std::string const exactly63(63, 'a');
  EXPECT_EQ(ValidLabelValue(exactly63), exactly63);
  EXPECT_EQ(ValidLabelValue(""), "");
  // First 57 bytes, then the first 6 hex digits of SHA-256 of the whole value.
  EXPECT_EQ(ValidLabelValue("nightly-full-cluster-backup-of-production-eu-west-1-20261124020000"),
            "nightly-full-cluster-backup-of-production-eu-west-1-20261ffc6d8");
  EXPECT_EQ(ValidLabelValue(std::string(64, 'a')).size(), 63u);
}

// A Deployment with status, as backed up.
constexpr std::string_view kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop", "uid": "9f1e", "resourceVersion": "5",
               "generation": 3, "annotations": {"deployment.kubernetes.io/revision": "2"}},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
           "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}},
  "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": 2}
})";

TEST(RestoreTransform, StatusNotRestoredByDefault) {
  PreparedItem out = PrepareForRestore("deployments.apps", Obj(kDeployment), Ctx());
  EXPECT_FALSE(out.status.has_value());
  EXPECT_FALSE(out.object.contains("status"));
}

TEST(RestoreTransform, StatusRestoredWhenGroupResourceListed) {
  RestoreItemContext ctx = Ctx();
  ctx.restore_status = {"foos.example.com", "deployments.apps"};
  PreparedItem out = PrepareForRestore("deployments.apps", Obj(kDeployment), ctx);
  ASSERT_TRUE(out.status.has_value());
  EXPECT_EQ(*out.status, Val(R"({"observedGeneration": 3, "replicas": 2, "readyReplicas": 2})"));
  EXPECT_FALSE(out.object.contains("status"));
}

TEST(RestoreTransform, StatusRestoredForWildcard) {
  RestoreItemContext ctx = Ctx();
  ctx.restore_status = {"*"};
  EXPECT_TRUE(PrepareForRestore("deployments.apps", Obj(kDeployment), ctx).status.has_value());
}

TEST(RestoreTransform, StatusAnnotationFalseOverridesTheRestoreList) {
  RestoreItemContext ctx = Ctx();
  ctx.restore_status = {"*"};
  json::object item = Obj(kDeployment);
  item["metadata"].as_object()["annotations"].as_object()["velero.io/restore-status"] = " False ";
  EXPECT_FALSE(PrepareForRestore("deployments.apps", std::move(item), ctx).status.has_value());
}

TEST(RestoreTransform, StatusAnnotationTrueRestoresStatusOfAnUnlistedType) {
  json::object item = Obj(kDeployment);
  item["metadata"].as_object()["annotations"].as_object()["velero.io/restore-status"] = "true";
  PreparedItem out = PrepareForRestore("deployments.apps", std::move(item), Ctx());
  ASSERT_TRUE(out.status.has_value());
  EXPECT_EQ(out.status->at("readyReplicas"), 2);
}

TEST(RestoreTransform, StatusAnnotationWithOtherValueKeepsTheRestoreList) {
  RestoreItemContext ctx = Ctx();
  ctx.restore_status = {"deployments.apps"};
  json::object item = Obj(kDeployment);
  item["metadata"].as_object()["annotations"].as_object()["velero.io/restore-status"] = "yes";
  EXPECT_TRUE(PrepareForRestore("deployments.apps", std::move(item), ctx).status.has_value());
}

TEST(RestoreTransform, NoStatusForSkippedItem) {
  RestoreItemContext ctx = Ctx();
  ctx.restore_status = {"*"};
  PreparedItem out = PrepareForRestore("pods", Obj(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "done", "namespace": "shop"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    "status": {"phase": "Succeeded"}
  })"), ctx);
  EXPECT_TRUE(out.skip);
  EXPECT_FALSE(out.status.has_value());
}

TEST(RestoreTransform, ItemWithoutMetadataIsSkipped) {
  PreparedItem out = PrepareForRestore("configmaps", Obj(R"({"apiVersion": "v1",
                                                              "kind": "ConfigMap"})"), Ctx());
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason, "no metadata object: not a Kubernetes object");
}

}  // namespace
}  // namespace kb::kube
