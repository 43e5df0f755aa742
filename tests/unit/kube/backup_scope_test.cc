// Velero's filter semantics on a discovery result made here (no server).
#include "kube/backup_scope.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kb::kube {
namespace {

ApiResource Res(std::string group, std::string version, std::string name, std::string kind,
                bool namespaced, bool preferred = true,
                std::vector<std::string> verbs = {"create", "delete", "get", "list", "watch"}) {
  return ApiResource{std::move(group), std::move(version), std::move(name), std::move(kind),
                     namespaced, std::move(verbs), preferred};
}

DiscoveryResult Discovery() {
  DiscoveryResult d;
  d.resources = {
      Res("", "v1", "configmaps", "ConfigMap", true),
      Res("", "v1", "persistentvolumes", "PersistentVolume", false),
      Res("", "v1", "pods", "Pod", true),
      Res("", "v1", "namespaces", "Namespace", false),
      Res("", "v1", "events", "Event", true),
      Res("", "v1", "bindings", "Binding", true, true, {"create"}),
      Res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true),
      Res("extensions", "v1beta1", "deployments", "Deployment", true),
      Res("apps", "v1", "deployments", "Deployment", true),
      Res("events.k8s.io", "v1", "events", "Event", true),
      Res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
      Res("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, false),
      Res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true),
      Res("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true),
  };
  return d;
}

std::vector<std::string> Names(std::vector<ApiResource> const& plan) {
  std::vector<std::string> out;
  for (auto const& r : plan) out.push_back(r.GroupResource() + "@" + r.version);
  return out;
}

TEST(BackupScope, PlanTakesPreferredListableTypesInVelerosOrder) {
  BackupScope scope;
  auto names = Names(PlanResources(Discovery(), scope));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "pods@v1", "persistentvolumeclaims@v1", "persistentvolumes@v1",
                       "configmaps@v1", "namespaces@v1", "events@v1", "deployments.apps@v1",
                       "clusterroles.rbac.authorization.k8s.io@v1",
                       "horizontalpodautoscalers.autoscaling@v2"}));
}

TEST(BackupScope, AutoDropsClusterTypesUnderANamespaceFilterButKeepsNamespaces) {
  BackupScope scope;
  scope.included_namespaces = {"shop"};
  auto names = Names(PlanResources(Discovery(), scope));
  EXPECT_EQ(std::count(names.begin(), names.end(), "persistentvolumes@v1"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "namespaces@v1"), 1);
  scope.include_cluster_resources = true;
  names = Names(PlanResources(Discovery(), scope));
  EXPECT_EQ(std::count(names.begin(), names.end(), "persistentvolumes@v1"), 1);
  BackupScope excludes;
  excludes.excluded_namespaces = {"kube-system"};
  EXPECT_FALSE(excludes.ListsClusterScoped());
  BackupScope labelled;
  labelled.label_excluded_namespaces = {"scratch"};
  EXPECT_TRUE(labelled.ListsClusterScoped());
  EXPECT_FALSE(labelled.NamespaceIncluded("scratch"));
}

TEST(BackupScope, ResourceFiltersMatchNamesKindsAndGlobs) {
  BackupScope scope;
  scope.included_resources = {"Deployment", "config*"};
  EXPECT_EQ(Names(PlanResources(Discovery(), scope)),
            (std::vector<std::string>{"configmaps@v1", "namespaces@v1", "deployments.apps@v1"}));
  BackupScope ex;
  ex.excluded_resources = {"events", "clusterroles.rbac.authorization.k8s.io"};
  auto names = Names(PlanResources(Discovery(), ex));
  EXPECT_EQ(std::count(names.begin(), names.end(), "events@v1"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "clusterroles.rbac.authorization.k8s.io@v1"), 0);
}

TEST(BackupScope, NamespaceGlobsAndExcludesWin) {
  BackupScope scope;
  scope.included_namespaces = {"shop-*", "billing"};
  scope.excluded_namespaces = {"shop-old"};
  EXPECT_TRUE(scope.NamespaceIncluded("shop-eu"));
  EXPECT_TRUE(scope.NamespaceIncluded("billing"));
  EXPECT_FALSE(scope.NamespaceIncluded("shop-old"));
  EXPECT_FALSE(scope.NamespaceIncluded("monitoring"));
  EXPECT_FALSE(scope.IncludesWildcard());
}

}  // namespace
}  // namespace kb::kube
