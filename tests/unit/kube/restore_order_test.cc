// RestoreTiers orders the directories of a backup tarball as Velero's restore does
// (defaultRestorePriorities in pkg/cmd/server/config/config.go, nonRestorableResources in
// pkg/controller/restore_controller.go).
#include "kube/restore_order.h"

#include <gtest/gtest.h>

namespace kb::kube {
namespace {

std::vector<std::string> Flatten(std::vector<std::vector<std::string>> const& tiers) {
  std::vector<std::string> out;
  for (auto const& tier : tiers) out.insert(out.end(), tier.begin(), tier.end());
  return out;
}

// The resources/ directories of a real backup of a cluster with cert-manager-like CRDs and a
// Cluster API management cluster, in the (unordered) order a tar listing gives them.
std::vector<std::string> RealisticBackup() {
  return {"events",
          "foos.example.com",
          "pods",
          "deployments.apps",
          "nodes",
          "clusters.cluster.x-k8s.io",
          "configmaps",
          "persistentvolumeclaims",
          "replicasets.apps",
          "namespaces",
          "secrets",
          "customresourcedefinitions.apiextensions.k8s.io",
          "persistentvolumes",
          "events.events.k8s.io",
          "clusterroles.rbac.authorization.k8s.io",
          "serviceaccounts",
          "services",
          "endpoints",
          "endpointslices.discovery.k8s.io",
          "storageclasses.storage.k8s.io",
          "priorityclasses.scheduling.k8s.io",
          "rolebindings.rbac.authorization.k8s.io",
          "statefulsets.apps"};
}

TEST(RestoreOrder, HighPrioritiesFirstThenAlphabeticalThenLowPriorities) {
  EXPECT_EQ(Flatten(RestoreTiers(RealisticBackup())),
            (std::vector<std::string>{
                "customresourcedefinitions.apiextensions.k8s.io",
                "namespaces",
                "storageclasses.storage.k8s.io",
                "persistentvolumes",
                "persistentvolumeclaims",
                "clusterroles.rbac.authorization.k8s.io",
                "serviceaccounts",
                "rolebindings.rbac.authorization.k8s.io",
                "secrets",
                "configmaps",
                "priorityclasses.scheduling.k8s.io",
                "pods",
                "replicasets.apps",
                "endpoints",
                "services",
                "deployments.apps",
                "endpointslices.discovery.k8s.io",
                "foos.example.com",
                "statefulsets.apps",
                "clusters.cluster.x-k8s.io",
            }));
}

TEST(RestoreOrder, OneGroupResourcePerTier) {
  auto tiers = RestoreTiers(RealisticBackup());
  ASSERT_EQ(tiers.size(), 20u);
  for (auto const& tier : tiers) EXPECT_EQ(tier.size(), 1u);
}

TEST(RestoreOrder, NonRestorableResourcesAreDropped) {
  auto order = Flatten(RestoreTiers({"nodes", "events", "events.events.k8s.io",
                                     "backups.velero.io", "restores.velero.io",
                                     "resticrepositories.velero.io", "csinodes.storage.k8s.io",
                                     "volumeattachments.storage.k8s.io",
                                     "backuprepositories.velero.io", "configmaps"}));
  EXPECT_EQ(order, std::vector<std::string>{"configmaps"});
}

TEST(RestoreOrder, IsNonRestorableMatchesWholeGroupResourceOnly) {
  EXPECT_TRUE(IsNonRestorable("nodes"));
  EXPECT_TRUE(IsNonRestorable("events.events.k8s.io"));
  EXPECT_TRUE(IsNonRestorable("backuprepositories.velero.io"));
  EXPECT_FALSE(IsNonRestorable("nodes.metrics.k8s.io"));
  EXPECT_FALSE(IsNonRestorable("schedules.velero.io"));
  EXPECT_FALSE(IsNonRestorable("pods"));
}

TEST(RestoreOrder, ShortPriorityNamesResolveToTheirGroups) {
  // Velero lists "volumesnapshotclass.snapshot.storage.k8s.io" (singular) and bare "roles",
  // "clusterrolebindings"; discovery resolves them to these directories.
  auto order = Flatten(RestoreTiers({"rolebindings.rbac.authorization.k8s.io",
                                     "clusterrolebindings.rbac.authorization.k8s.io",
                                     "roles.rbac.authorization.k8s.io", "limitranges",
                                     "volumesnapshotclasses.snapshot.storage.k8s.io",
                                     "volumesnapshotcontents.snapshot.storage.k8s.io",
                                     "volumesnapshots.snapshot.storage.k8s.io",
                                     "datauploads.velero.io", "clusterclasses.cluster.x-k8s.io",
                                     "apps.kappctrl.k14s.io", "aaa.example.com"}));
  EXPECT_EQ(order, (std::vector<std::string>{"volumesnapshotclasses.snapshot.storage.k8s.io",
                                             "volumesnapshotcontents.snapshot.storage.k8s.io",
                                             "volumesnapshots.snapshot.storage.k8s.io",
                                             "datauploads.velero.io",
                                             "roles.rbac.authorization.k8s.io",
                                             "clusterrolebindings.rbac.authorization.k8s.io",
                                             "rolebindings.rbac.authorization.k8s.io",
                                             "limitranges", "clusterclasses.cluster.x-k8s.io",
                                             "aaa.example.com", "apps.kappctrl.k14s.io"}));
}

TEST(RestoreOrder, LowPrioritiesKeepTheirListOrder) {
  auto order = Flatten(RestoreTiers({"packageinstalls.packaging.carvel.dev",
                                     "apps.kappctrl.k14s.io",
                                     "clusterresourcesets.addons.cluster.x-k8s.io",
                                     "clusters.cluster.x-k8s.io",
                                     "clusterbootstraps.run.tanzu.vmware.com", "zebras.zoo.io"}));
  EXPECT_EQ(order, (std::vector<std::string>{"zebras.zoo.io",
                                             "clusterbootstraps.run.tanzu.vmware.com",
                                             "clusters.cluster.x-k8s.io",
                                             "clusterresourcesets.addons.cluster.x-k8s.io",
                                             "apps.kappctrl.k14s.io",
                                             "packageinstalls.packaging.carvel.dev"}));
}

TEST(RestoreOrder, OthersSortByByteValueLikeGo) {
  // Go's sort.Strings: '.' (0x2e) before letters, upper case before lower case.
  auto order = Flatten(RestoreTiers({"widgets.example.com", "Widgets.example.com",
                                     "widget.example.com", "widgets.apps.example.com"}));
  EXPECT_EQ(order, (std::vector<std::string>{"Widgets.example.com", "widget.example.com",
                                             "widgets.apps.example.com",
                                             "widgets.example.com"}));
}

TEST(RestoreOrder, DuplicatesAppearOnce) {
  EXPECT_EQ(Flatten(RestoreTiers({"pods", "pods", "configmaps", "configmaps"})),
            (std::vector<std::string>{"configmaps", "pods"}));
}

TEST(RestoreOrder, EmptyBackupHasNoTiers) { EXPECT_TRUE(RestoreTiers({}).empty()); }

}  // namespace
}  // namespace kb::kube
