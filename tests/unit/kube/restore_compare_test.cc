// NormalizeForCompare, SameObject and MergePatch: the existing-object handling of a restore
// (Velero pkg/restore/restore.go: restoreItem, processUpdateResourcePolicy; RFC 7386).
#include "kube/restore_compare.h"

#include <gtest/gtest.h>

#include "tests/unit/kube/restore_test_objects.h"

namespace kb::kube {
namespace {

using testing::Obj;
using testing::Val;

RestoreItemContext Ctx() {
  RestoreItemContext ctx;
  ctx.backup_name = "b1";
  ctx.restore_name = "r2";
  return ctx;
}

// The Service as backed up from cluster a.
constexpr std::string_view kBackedUpService = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "web", "namespace": "shop", "uid": "a-uid", "resourceVersion": "31",
    "creationTimestamp": "2026-11-01T00:00:00Z", "labels": {"app": "web"},
    "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
      "time": "2026-11-01T00:00:00Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:spec": {"f:type": {}}}}]},
  "spec": {"type": "NodePort", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
           "selector": {"app": "web"}, "sessionAffinity": "None",
           "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31234}]},
  "status": {"loadBalancer": {}}
})";

// The same Service as the target cluster b returns it after an earlier restore: other cluster
// IP, other allocated node port, other metadata, labels of the earlier restore.
constexpr std::string_view kLiveService = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "web", "namespace": "shop", "uid": "b-uid", "resourceVersion": "90210",
    "creationTimestamp": "2026-11-24T03:00:00Z",
    "labels": {"app": "web", "velero.io/backup-name": "b0", "velero.io/restore-name": "r1"},
    "managedFields": [{"manager": "kbackup", "operation": "Update", "apiVersion": "v1",
      "time": "2026-11-24T03:00:00Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:spec": {"f:type": {}}}}]},
  "spec": {"type": "NodePort", "clusterIP": "10.100.0.9", "clusterIPs": ["10.100.0.9"],
           "selector": {"app": "web"}, "sessionAffinity": "None",
           "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30555}]},
  "status": {"loadBalancer": {}}
})";

TEST(RestoreCompare, LiveServiceWithOtherClusterIPAndNodePortIsTheSame) {
  PreparedItem prepared = PrepareForRestore("services", Obj(kBackedUpService), Ctx());
  json::object live = NormalizeForCompare("services", Obj(kLiveService), Ctx());
  EXPECT_TRUE(SameObject(prepared.object, live));
}

TEST(RestoreCompare, NormalizeDropsManagedFieldsStatusAndServerMetadataAndSetsRestoreLabels) {
  json::object live = NormalizeForCompare("services", Obj(kLiveService), Ctx());
  EXPECT_EQ(json::value(live), Val(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop",
      "labels": {"app": "web", "velero.io/backup-name": "b1", "velero.io/restore-name": "r2"}},
    "spec": {"type": "NodePort", "selector": {"app": "web"}, "sessionAffinity": "None",
             "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}
  })"));
}

TEST(RestoreCompare, NormalizeKeepsTheLiveNamespaceAndSubjects) {
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"shop", "shop-copy"}, {"shop-copy", "elsewhere"}};
  json::object live = NormalizeForCompare("rolebindings.rbac.authorization.k8s.io", Obj(R"({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "rb", "namespace": "shop-copy", "uid": "u"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
    "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop-copy"}]})"), ctx);
  EXPECT_EQ(live.at("metadata").at("namespace"), "shop-copy");
  EXPECT_EQ(live.at("subjects").at(0).at("namespace"), "shop-copy");
}

TEST(RestoreCompare, NormalizeKeepsLiveTokenSecretWithoutAskingForServiceAccounts) {
  bool asked = false;
  RestoreItemContext ctx = Ctx();
  ctx.service_account_exists = [&](std::string const&, std::string const&) { return asked = true; };
  json::object live = NormalizeForCompare("secrets", Obj(R"({
    "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
    "metadata": {"name": "ci-token-abcde", "namespace": "shop",
                 "annotations": {"kubernetes.io/service-account.name": "ci",
                                 "kubernetes.io/service-account.uid": "x"}},
    "data": {"token": "dA==", "ca.crt": "Yw==", "namespace": "c2hvcA=="}})"), ctx);
  EXPECT_FALSE(asked);
  EXPECT_EQ(live.at("data"), Val(R"({"namespace": "c2hvcA=="})"));
}

TEST(RestoreCompare, ChangedDataIsDifferent) {
  PreparedItem prepared = PrepareForRestore("configmaps", Obj(R"({"apiVersion": "v1",
    "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"},
    "data": {"mode": "prod"}})"),
                                            Ctx());
  json::object live = NormalizeForCompare("configmaps", Obj(R"({"apiVersion": "v1",
    "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop", "uid": "u",
    "resourceVersion": "7"}, "data": {"mode": "dev"}})"), Ctx());
  EXPECT_FALSE(SameObject(prepared.object, live));
}

TEST(RestoreCompare, SameObjectIgnoresManagedFieldsAndKeyOrder) {
  EXPECT_TRUE(SameObject(
      Obj(R"({"kind": "ConfigMap", "metadata": {"name": "c", "managedFields": [{"manager": "a"}]},
              "data": {"x": "1", "y": "2"}})"),
      Obj(R"({"data": {"y": "2", "x": "1"}, "metadata": {"managedFields": [], "name": "c"},
              "kind": "ConfigMap"})")));
}

TEST(RestoreCompare, SameObjectSeesExtraAndMissingFields) {
  json::object base =
      Obj(R"({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}})");
  EXPECT_FALSE(SameObject(base, Obj(R"({"kind": "ConfigMap", "metadata": {"name": "c"}})")));
  EXPECT_FALSE(SameObject(base, Obj(R"({"kind": "ConfigMap", "metadata": {"name": "c",
                                        "annotations": {"a": "b"}}, "data": {"x": "1"}})")));
  EXPECT_FALSE(SameObject(base, Obj(R"({"kind": "ConfigMap", "data": {"x": "1"}})")));
}

TEST(RestoreCompare, SameObjectKeepsIntegersAndFloatsApart) {
  EXPECT_TRUE(SameObject(Obj(R"({"spec": {"replicas": 2}})"),
                         Obj(R"({"spec": {"replicas": 2}})")));
  EXPECT_FALSE(SameObject(Obj(R"({"spec": {"replicas": 2}})"),
                          Obj(R"({"spec": {"replicas": 2.0}})")));
}

TEST(RestoreCompare, MergePatchSetsChangedAndNewFieldsAndNullsRemovedOnes) {
  json::object patch = MergePatch(
      Obj(R"({"metadata": {"name": "c", "labels": {"app": "web", "old": "x"}},
              "data": {"mode": "dev", "gone": "1"}})"),
      Obj(R"({"metadata": {"name": "c", "labels": {"app": "web", "velero.io/restore-name": "r2"}},
              "data": {"mode": "prod", "new": "2"}})"));
  EXPECT_EQ(json::value(patch), Val(R"({
    "metadata": {"labels": {"old": null, "velero.io/restore-name": "r2"}},
    "data": {"mode": "prod", "gone": null, "new": "2"}})"));
}

TEST(RestoreCompare, MergePatchReplacesArraysWhole) {
  json::object patch = MergePatch(
      Obj(R"({"spec": {"ports": [{"port": 80}, {"port": 443}], "selector": {"app": "web"}}})"),
      Obj(R"({"spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}})"));
  EXPECT_EQ(json::value(patch), Val(R"({"spec": {"ports": [{"port": 80}]}})"));
}

TEST(RestoreCompare, MergePatchNeverTouchesManagedFieldsResourceVersionOrUid) {
  json::object patch = MergePatch(
      Obj(R"({"metadata": {"name": "c", "uid": "u", "resourceVersion": "9",
                            "managedFields": [{"manager": "x"}]}, "data": {"a": "1"}})"),
      Obj(R"({"metadata": {"name": "c", "managedFields": [{"manager": "velero"}]},
              "data": {"a": "1"}})"));
  EXPECT_TRUE(patch.empty()) << json::serialize(patch);
}

TEST(RestoreCompare, MergePatchOnlyExcludesTopLevelMetadataFields) {
  json::object patch = MergePatch(
      Obj(R"({"spec": {"template": {"metadata": {"uid": "a"}}, "uid": "x"}})"),
      Obj(R"({"spec": {"template": {"metadata": {"uid": "b"}}, "uid": "y"}})"));
  EXPECT_EQ(json::value(patch),
            Val(R"({"spec": {"template": {"metadata": {"uid": "b"}}, "uid": "y"}})"));
}

TEST(RestoreCompare, UpdatePatchCarriesBackedUpFieldsAndRestoreLabels) {
  PreparedItem prepared = PrepareForRestore("configmaps", Obj(R"({"apiVersion": "v1",
    "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop", "uid": "old",
    "labels": {"app": "web"}}, "data": {"mode": "prod"}})"), Ctx());
  json::object live = Obj(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "c", "namespace": "shop", "uid": "new", "resourceVersion": "7",
                 "creationTimestamp": "2026-11-24T03:00:00Z",
                 "labels": {"app": "web", "velero.io/backup-name": "b0",
                            "velero.io/restore-name": "r1"},
                 "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "1"}]},
    "data": {"mode": "dev", "debug": "true"}})");
  EXPECT_EQ(json::value(UpdatePatch("configmaps", live, prepared.object, Ctx())), Val(R"({
    "metadata": {"labels": {"velero.io/backup-name": "b1", "velero.io/restore-name": "r2"}},
    "data": {"mode": "prod", "debug": null}})"));
}

TEST(RestoreCompare, UpdatePatchOfUnchangedServiceHoldsOnlyTheLabels) {
  PreparedItem prepared = PrepareForRestore("services", Obj(kBackedUpService), Ctx());
  EXPECT_EQ(json::value(UpdatePatch("services", Obj(kLiveService), prepared.object, Ctx())),
            Val(R"({"metadata": {"labels": {"velero.io/backup-name": "b1",
                                            "velero.io/restore-name": "r2"}}})"));
}

TEST(RestoreCompare, ServiceAccountMergeAddsMissingReferencesLabelsAndAnnotations) {
  // The "default" ServiceAccount the target namespace got from its controller, and the one of
  // the backup.
  json::object live = Obj(R"({"apiVersion": "v1", "kind": "ServiceAccount",
    "metadata": {"name": "default", "namespace": "shop", "uid": "live", "resourceVersion": "4",
                 "annotations": {"owner": "platform"}},
    "secrets": [{"name": "default-token-zz9k1"}]})");
  PreparedItem prepared = PrepareForRestore("serviceaccounts", Obj(R"({"apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {"name": "default", "namespace": "shop", "uid": "old", "labels": {"team": "a"},
                 "annotations": {"owner": "shop-team", "note": "x"}},
    "secrets": [{"name": "default-token-old12"}, {"name": "deploy-key"}],
    "imagePullSecrets": [{"name": "registry"}]})"), Ctx());
  EXPECT_FALSE(SameObject(prepared.object, NormalizeForCompare("serviceaccounts", live, Ctx())));
  EXPECT_EQ(json::value(ServiceAccountMergePatch(live, prepared.object, Ctx())), Val(R"({
    "metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
    "secrets": [{"name": "default-token-zz9k1"}, {"name": "deploy-key"}],
    "imagePullSecrets": [{"name": "registry"}]})"));
}

TEST(RestoreCompare, ServiceAccountMergeOfCoveredAccountIsEmpty) {
  json::object live = Obj(R"({"apiVersion": "v1", "kind": "ServiceAccount",
    "metadata": {"name": "ci", "namespace": "shop", "labels": {"team": "b"}},
    "imagePullSecrets": [{"name": "registry"}]})");
  PreparedItem prepared = PrepareForRestore("serviceaccounts", Obj(R"({"apiVersion": "v1",
    "kind": "ServiceAccount", "metadata": {"name": "ci", "namespace": "shop",
    "labels": {"team": "a"}}, "imagePullSecrets": [{"name": "registry"}]})"), Ctx());
  EXPECT_TRUE(ServiceAccountMergePatch(live, prepared.object, Ctx()).empty());
}

TEST(RestoreCompare, RestoreLabelsPatchSetsBothLabels) {
  EXPECT_EQ(json::value(RestoreLabelsPatch(Ctx())),
            Val(R"({"metadata": {"labels": {"velero.io/backup-name": "b1",
                                            "velero.io/restore-name": "r2"}}})"));
}

TEST(RestoreCompare, MergePatchOfEqualObjectsIsEmpty) {
  json::object o = Obj(kBackedUpService);
  EXPECT_TRUE(MergePatch(o, o).empty());
}

}  // namespace
}  // namespace kb::kube
