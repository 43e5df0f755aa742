// PrepareForRestore on cluster-level objects: Velero's rolebinding_action.go,
// clusterrolebinding_action.go, crd_v1_preserve_unknown_fields_action.go,
// admissionwebhook_config_action.go and apiservice_action.go.
#include <gtest/gtest.h>

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
  ctx.namespace_mapping = {{"shop", "shop-copy"}, {"ci", "ci-copy"}};
  return ctx;
}

constexpr std::string_view kSubjects = R"([
  {"kind": "ServiceAccount", "name": "web", "namespace": "shop"},
  {"kind": "ServiceAccount", "name": "runner", "namespace": "ci"},
  {"kind": "ServiceAccount", "name": "agent", "namespace": "monitoring"},
  {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}])";

constexpr std::string_view kMappedSubjects = R"([
  {"kind": "ServiceAccount", "name": "web", "namespace": "shop-copy"},
  {"kind": "ServiceAccount", "name": "runner", "namespace": "ci-copy"},
  {"kind": "ServiceAccount", "name": "agent", "namespace": "monitoring"},
  {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}])";

TEST(RestoreTransform, RoleBindingSubjectNamespacesAreMapped) {
  json::object rb = Obj(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "web-reader", "namespace": "shop", "uid": "r1"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}})");
  rb["subjects"] = Val(kSubjects);
  PreparedItem out =
      PrepareForRestore("rolebindings.rbac.authorization.k8s.io", std::move(rb), Ctx());
  EXPECT_EQ(out.object.at("subjects"), Val(kMappedSubjects));
  EXPECT_EQ(out.object.at("metadata").at("namespace"), "shop-copy");
}

TEST(RestoreTransform, ClusterRoleBindingSubjectNamespacesAreMapped) {
  json::object crb = Obj(R"({"apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding", "metadata": {"name": "web-view", "uid": "c1"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}})");
  crb["subjects"] = Val(kSubjects);
  PreparedItem out =
      PrepareForRestore("clusterrolebindings.rbac.authorization.k8s.io", std::move(crb), Ctx());
  EXPECT_EQ(out.object.at("subjects"), Val(kMappedSubjects));
}

constexpr std::string_view kCrd = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "foos.example.com", "uid": "f00", "resourceVersion": "3", "generation": 2},
  "spec": {"group": "example.com", "preserveUnknownFields": true, "scope": "Namespaced",
    "names": {"kind": "Foo", "listKind": "FooList", "plural": "foos", "singular": "foo"},
    "versions": [
      {"name": "v1", "served": true, "storage": true,
       "schema": {"openAPIV3Schema": {"type": "object",
                                      "properties": {"spec": {"type": "object"}}}}},
      {"name": "v1alpha1", "served": false, "storage": false}]},
  "status": {"acceptedNames": {"kind": "Foo", "plural": "foos"}, "storedVersions": ["v1"]}
})";

TEST(RestoreTransform, CrdWithPreserveUnknownFieldsMovesItIntoSchemas) {
  PreparedItem out = PrepareForRestore("customresourcedefinitions.apiextensions.k8s.io",
                                       Obj(kCrd), Ctx());
  EXPECT_EQ(out.object.at("spec"), Val(R"({"group": "example.com", "scope": "Namespaced",
    "names": {"kind": "Foo", "listKind": "FooList", "plural": "foos", "singular": "foo"},
    "versions": [
      {"name": "v1", "served": true, "storage": true,
       "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object"}},
                                      "x-kubernetes-preserve-unknown-fields": true}}},
      {"name": "v1alpha1", "served": false, "storage": false}]})"));
  EXPECT_FALSE(out.object.contains("status"));
}

TEST(RestoreTransform, CrdWithoutPreserveUnknownFieldsIsUnchanged) {
  json::object crd = Obj(kCrd);
  crd["spec"].as_object()["preserveUnknownFields"] = false;
  json::value spec_before = crd.at("spec");
  PreparedItem out =
      PrepareForRestore("customresourcedefinitions.apiextensions.k8s.io", std::move(crd), Ctx());
  EXPECT_EQ(out.object.at("spec"), spec_before);
}

TEST(RestoreTransform, WebhookSideEffectsOutsideV1ValuesBecomeNone) {
  PreparedItem out = PrepareForRestore(
      "validatingwebhookconfigurations.admissionregistration.k8s.io", Obj(R"({
    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
    "metadata": {"name": "policy", "uid": "w1", "generation": 4},
    "webhooks": [
      {"name": "a.example.com", "sideEffects": "Unknown", "admissionReviewVersions": ["v1"]},
      {"name": "b.example.com", "sideEffects": "NoneOnDryRun", "admissionReviewVersions": ["v1"]},
      {"name": "c.example.com", "sideEffects": "Some", "admissionReviewVersions": ["v1"]},
      {"name": "d.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"]}]})"),
      Ctx());
  EXPECT_EQ(out.object.at("webhooks"), Val(R"([
      {"name": "a.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"]},
      {"name": "b.example.com", "sideEffects": "NoneOnDryRun", "admissionReviewVersions": ["v1"]},
      {"name": "c.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"]},
      {"name": "d.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"]}])"));
}

TEST(RestoreTransform, MutatingWebhookWithoutSideEffectsGetsNone) {
  PreparedItem out = PrepareForRestore(
      "mutatingwebhookconfigurations.admissionregistration.k8s.io", Obj(R"({
    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "inject"}, "webhooks": [{"name": "inject.example.com"}]})"), Ctx());
  EXPECT_EQ(out.object.at("webhooks"),
            Val(R"([{"name": "inject.example.com", "sideEffects": "None"}])"));
}

TEST(RestoreTransform, WebhookOfOtherApiVersionIsUntouched) {
  PreparedItem out = PrepareForRestore(
      "mutatingwebhookconfigurations.admissionregistration.k8s.io", Obj(R"({
    "apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "inject"},
    "webhooks": [{"name": "inject.example.com", "sideEffects": "Unknown"}]})"),
      Ctx());
  EXPECT_EQ(out.object.at("webhooks").at(0).at("sideEffects"), "Unknown");
}

TEST(RestoreTransform, SkipsAutomanagedApiService) {
  PreparedItem out = PrepareForRestore("apiservices.apiregistration.k8s.io", Obj(R"({
    "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
    "metadata": {"name": "v1.apps",
                 "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}},
    "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800,
             "versionPriority": 15},
    "status": {"conditions": [{"type": "Available", "status": "True"}]}})"), Ctx());
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason,
            "APIService managed by kube-aggregator (label "
            "kube-aggregator.kubernetes.io/automanaged)");
}

TEST(RestoreTransform, RestoresApiServiceOfAnExtensionServer) {
  PreparedItem out = PrepareForRestore("apiservices.apiregistration.k8s.io", Obj(R"({
    "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
    "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"k8s-app": "metrics-server"}},
    "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
             "service": {"name": "metrics-server", "namespace": "kube-system", "port": 443},
             "groupPriorityMinimum": 100, "versionPriority": 100}})"), Ctx());
  EXPECT_FALSE(out.skip);
  // The Service it points at is not remapped (Velero does not either).
  EXPECT_EQ(out.object.at("spec").at("service").at("namespace"), "kube-system");
}

}  // namespace
}  // namespace kb::kube
