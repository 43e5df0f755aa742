// PrepareForRestore on workloads and their credentials: Velero's pod_action.go, job_action.go,
// service_account_action.go, secret_action.go and the per-item skips of restoreItem.
#include <gtest/gtest.h>

#include <string>
#include <utility>
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

// A running Pod of a pre-1.24 cluster: legacy SA token volume, init container, scheduled.
constexpr std::string_view kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web-7d4b9c-x2x5k", "namespace": "shop", "uid": "aa11",
               "resourceVersion": "9912", "creationTimestamp": "2026-11-20T10:00:00Z",
               "labels": {"app": "web", "pod-template-hash": "7d4b9c"},
               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                    "name": "web-7d4b9c", "uid": "bb22", "controller": true}]},
  "spec": {
    "serviceAccountName": "web", "serviceAccount": "web", "nodeName": "node-3",
    "priority": 1000, "priorityClassName": "high",
    "initContainers": [{"name": "init", "image": "busybox", "volumeMounts": [
      {"name": "web-token-8xk2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
    "containers": [{"name": "web", "image": "nginx:1.27",
                    "volumeMounts": [{"name": "data", "mountPath": "/data"},
                                     {"name": "web-token-8xk2p",
                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                      "readOnly": true}]}],
    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "web-token-8xk2p", "secret": {"secretName": "web-token-8xk2p"}}]
  },
  "status": {"phase": "Running", "podIP": "10.244.1.7"}
})";

TEST(RestoreTransform, PodLosesNodeNamePriorityAndServiceAccountTokenVolumes) {
  PreparedItem out = PrepareForRestore("pods", Obj(kPod), Ctx());
  EXPECT_FALSE(out.skip);
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web-7d4b9c-x2x5k", "namespace": "shop",
                 "labels": {"app": "web", "pod-template-hash": "7d4b9c",
                            "velero.io/backup-name": "b1", "velero.io/restore-name": "r1"}},
    "spec": {
      "serviceAccountName": "web", "serviceAccount": "web", "priorityClassName": "high",
      "initContainers": [{"name": "init", "image": "busybox"}],
      "containers": [{"name": "web", "image": "nginx:1.27",
                      "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
      "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    }
  })"));
}

TEST(RestoreTransform, PodKeepsProjectedApiAccessVolume) {
  // Since Kubernetes 1.24 the token comes in a projected kube-api-access-* volume, which
  // Velero keeps (the name does not start with <sa>-token-).
  PreparedItem out = PrepareForRestore("pods", Obj(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
    "spec": {"serviceAccountName": "default", "nodeName": "n1",
             "containers": [{"name": "c", "image": "busybox", "volumeMounts": [
               {"name": "kube-api-access-9z8qv",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
             "volumes": [{"name": "kube-api-access-9z8qv", "projected": {"sources": []}}]},
    "status": {"phase": "Pending"}
  })"), Ctx());
  EXPECT_EQ(out.object.at("spec"), Val(R"({
    "serviceAccountName": "default",
    "containers": [{"name": "c", "image": "busybox", "volumeMounts": [
      {"name": "kube-api-access-9z8qv",
       "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
    "volumes": [{"name": "kube-api-access-9z8qv", "projected": {"sources": []}}]})"));
}

TEST(RestoreTransform, SkipsMirrorPod) {
  json::object pod = Obj(kPod);
  pod["metadata"].as_object()["annotations"] =
      Val(R"({"kubernetes.io/config.mirror": "3f0c9a", "kubernetes.io/config.source": "file"})");
  PreparedItem out = PrepareForRestore("pods", std::move(pod), Ctx());
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason, "mirror Pod");
}

TEST(RestoreTransform, SkipsSucceededAndFailedPods) {
  for (std::string phase : {"Succeeded", "Failed"}) {
    json::object pod = Obj(kPod);
    pod["status"].as_object()["phase"] = phase;
    PreparedItem out = PrepareForRestore("pods", std::move(pod), Ctx());
    EXPECT_TRUE(out.skip);
    EXPECT_EQ(out.skip_reason, "completed Pod (phase " + phase + ")");
  }
}

// A Job created by a CronJob on Kubernetes 1.29: both controller-uid labels.
constexpr std::string_view kJob = R"({
  "apiVersion": "batch/v1", "kind": "Job",
  "metadata": {"name": "report-28871040", "namespace": "shop", "uid": "c0ffee00-1111",
               "resourceVersion": "771", "generation": 1,
               "labels": {"batch.kubernetes.io/controller-uid": "c0ffee00-1111",
                          "batch.kubernetes.io/job-name": "report-28871040",
                          "controller-uid": "c0ffee00-1111", "job-name": "report-28871040"}},
  "spec": {
    "backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "parallelism": 1,
    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "c0ffee00-1111"}},
    "suspend": false,
    "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "c0ffee00-1111",
                                         "batch.kubernetes.io/job-name": "report-28871040",
                                         "controller-uid": "c0ffee00-1111",
                                         "job-name": "report-28871040"}},
                 "spec": {"restartPolicy": "OnFailure",
                          "containers": [{"name": "report", "image": "report:3"}]}}
  },
  "status": {"active": 1, "startTime": "2026-11-24T02:00:00Z"}
})";

TEST(RestoreTransform, JobLosesControllerUidInSelectorAndTemplate) {
  PreparedItem out = PrepareForRestore("jobs.batch", Obj(kJob), Ctx());
  EXPECT_FALSE(out.skip);
  EXPECT_EQ(out.object.at("spec").at("selector"), Val("{}"));
  EXPECT_EQ(out.object.at("spec").at("template").at("metadata"),
            Val(R"({"labels": {"batch.kubernetes.io/job-name": "report-28871040",
                               "job-name": "report-28871040"}})"));
  // The Job's own labels are Velero's to keep.
  EXPECT_EQ(out.object.at("metadata").at("labels").at("controller-uid"), "c0ffee00-1111");
}

TEST(RestoreTransform, SkipsCompletedJob) {
  json::object job = Obj(kJob);
  job["status"] = Val(R"({"succeeded": 1, "startTime": "2026-11-24T02:00:00Z",
                          "completionTime": "2026-11-24T02:01:10Z"})");
  PreparedItem out = PrepareForRestore("jobs.batch", std::move(job), Ctx());
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason, "completed Job");
}

TEST(RestoreTransform, ServiceAccountDropsOneTokenSecretReference) {
  PreparedItem out = PrepareForRestore("serviceaccounts", Obj(R"({
    "apiVersion": "v1", "kind": "ServiceAccount",
    "metadata": {"name": "web", "namespace": "shop", "uid": "5a5a", "resourceVersion": "40"},
    "secrets": [{"name": "web-token-aaaaa"}, {"name": "registry"}, {"name": "web-token-8xk2p"}],
    "imagePullSecrets": [{"name": "registry"}]
  })"), Ctx());
  // Velero walks from the end and removes the first match only.
  EXPECT_EQ(out.object.at("secrets"),
            Val(R"([{"name": "web-token-aaaaa"}, {"name": "registry"}])"));
  EXPECT_EQ(out.object.at("imagePullSecrets"), Val(R"([{"name": "registry"}])"));
}

TEST(RestoreTransform, ServiceAccountWithOnlyItsTokenLosesSecretsField) {
  PreparedItem out = PrepareForRestore("serviceaccounts", Obj(R"({
    "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop"},
    "secrets": [{"name": "web-token-8xk2p"}]})"), Ctx());
  EXPECT_FALSE(out.object.contains("secrets"));
}

constexpr std::string_view kTokenSecret = R"({
  "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
  "metadata": {"name": "ci-bot-token-8xk2p", "namespace": "shop", "uid": "77",
               "resourceVersion": "8",
               "annotations": {"kubernetes.io/service-account.name": "ci-bot",
                               "kubernetes.io/service-account.uid": "d2c1"}},
  "data": {"ca.crt": "LS0tLS1CRUdJTg==", "namespace": "c2hvcA==", "token": "ZXlKaGJHY2lPaUpT"}
})";

TEST(RestoreTransform, SkipsTokenSecretOfExistingServiceAccount) {
  std::vector<std::pair<std::string, std::string>> asked;
  RestoreItemContext ctx = Ctx();
  ctx.namespace_mapping = {{"shop", "shop-2"}};
  ctx.service_account_exists = [&](std::string const& ns, std::string const& name) {
    asked.emplace_back(ns, name);
    return ns == "shop" && name == "ci-bot";
  };
  PreparedItem out = PrepareForRestore("secrets", Obj(kTokenSecret), ctx);
  EXPECT_TRUE(out.skip);
  EXPECT_EQ(out.skip_reason, "service-account token Secret of an existing ServiceAccount");
  // Asked in the backed-up namespace, as Velero's secret_action.go does.
  EXPECT_EQ(asked, (std::vector<std::pair<std::string, std::string>>{{"shop", "ci-bot"}}));
}

TEST(RestoreTransform, TokenSecretNameWithTwoTokenMarkersTriesEachServiceAccountName) {
  std::vector<std::string> asked;
  RestoreItemContext ctx = Ctx();
  ctx.service_account_exists = [&](std::string const&, std::string const& name) {
    asked.push_back(name);
    return name == "a-token-b";
  };
  json::object secret = Obj(kTokenSecret);
  secret["metadata"].as_object()["name"] = "a-token-b-token-xyz12";
  EXPECT_TRUE(PrepareForRestore("secrets", std::move(secret), ctx).skip);
  EXPECT_EQ(asked, (std::vector<std::string>{"a", "a-token-b"}));
}

TEST(RestoreTransform, TokenSecretOfMissingServiceAccountLosesTokenCaAndUid) {
  RestoreItemContext ctx = Ctx();
  ctx.service_account_exists = [](std::string const&, std::string const&) { return false; };
  PreparedItem out = PrepareForRestore("secrets", Obj(kTokenSecret), ctx);
  EXPECT_FALSE(out.skip);
  EXPECT_EQ(json::value(out.object), Val(R"({
    "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
    "metadata": {"name": "ci-bot-token-8xk2p", "namespace": "shop",
                 "annotations": {"kubernetes.io/service-account.name": "ci-bot"},
                 "labels": {"velero.io/backup-name": "b1", "velero.io/restore-name": "r1"}},
    "data": {"namespace": "c2hvcA=="}
  })"));
}

TEST(RestoreTransform, TokenSecretWithoutServiceAccountLookupIsStripped) {
  PreparedItem out = PrepareForRestore("secrets", Obj(kTokenSecret), Ctx());  // callback null
  EXPECT_FALSE(out.skip);
  EXPECT_FALSE(out.object.at("data").as_object().contains("token"));
}

TEST(RestoreTransform, OpaqueSecretNamedLikeATokenIsUntouched) {
  bool asked = false;
  RestoreItemContext ctx = Ctx();
  ctx.service_account_exists = [&](std::string const&, std::string const&) { return asked = true; };
  json::object secret = Obj(kTokenSecret);
  secret["type"] = "Opaque";
  PreparedItem out = PrepareForRestore("secrets", std::move(secret), ctx);
  EXPECT_FALSE(out.skip);
  EXPECT_FALSE(asked);
  EXPECT_EQ(out.object.at("data").at("token"), "ZXlKaGJHY2lPaUpT");
  EXPECT_EQ(out.object.at("metadata").at("annotations").at("kubernetes.io/service-account.uid"),
            "d2c1");
}

}  // namespace
}  // namespace kb::kube
