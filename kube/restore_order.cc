#include "kube/restore_order.h"

#include <algorithm>
#include <array>
#include <set>

namespace kb::kube {
namespace {

// Velero's nonRestorableResources.
constexpr std::array<std::string_view, 9> kNonRestorable = {
    "nodes",
    "events",
    "events.events.k8s.io",
    "backups.velero.io",
    "restores.velero.io",
    "resticrepositories.velero.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "backuprepositories.velero.io",
};

// Velero's defaultRestorePriorities.HighPriorities, each name as discovery resolves it.
constexpr std::array<std::string_view, 23> kHighPriorities = {
    "customresourcedefinitions.apiextensions.k8s.io",
    "namespaces",
    "storageclasses.storage.k8s.io",
    "volumesnapshotclasses.snapshot.storage.k8s.io",  // listed singular; discovery resolves it
    "volumesnapshotcontents.snapshot.storage.k8s.io",
    "volumesnapshots.snapshot.storage.k8s.io",
    "datauploads.velero.io",
    "persistentvolumes",
    "persistentvolumeclaims",
    "clusterroles.rbac.authorization.k8s.io",
    "roles.rbac.authorization.k8s.io",
    "serviceaccounts",
    "clusterrolebindings.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io",
    "secrets",
    "configmaps",
    "limitranges",
    "priorityclasses.scheduling.k8s.io",
    "pods",
    "replicasets.apps",
    "clusterclasses.cluster.x-k8s.io",
    "endpoints",
    "services",
};

// Velero's defaultRestorePriorities.LowPriorities (already fully qualified).
constexpr std::array<std::string_view, 5> kLowPriorities = {
    "clusterbootstraps.run.tanzu.vmware.com",
    "clusters.cluster.x-k8s.io",
    "clusterresourcesets.addons.cluster.x-k8s.io",
    "apps.kappctrl.k14s.io",
    "packageinstalls.packaging.carvel.dev",
};

template <std::size_t N>
bool Contains(std::array<std::string_view, N> const& list, std::string_view gr) {
  return std::find(list.begin(), list.end(), gr) != list.end();
}

}  // namespace

bool IsNonRestorable(std::string_view group_resource) {
  return Contains(kNonRestorable, group_resource);
}

std::vector<std::vector<std::string>> RestoreTiers(std::vector<std::string> group_resources) {
  // std::set orders by byte value, as Go's sort.Strings does, and drops duplicates.
  std::set<std::string> present;
  for (auto& gr : group_resources) {
    if (!IsNonRestorable(gr)) present.insert(std::move(gr));
  }
  std::vector<std::vector<std::string>> tiers;
  tiers.reserve(present.size());
  auto take = [&](std::string_view gr) {
    auto it = present.find(std::string(gr));
    if (it == present.end()) return;
    tiers.push_back({std::move(present.extract(it).value())});
  };
  for (auto gr : kHighPriorities) take(gr);
  std::vector<std::string> low;
  for (auto gr : kLowPriorities) {
    auto it = present.find(std::string(gr));
    if (it != present.end()) low.push_back(std::move(present.extract(it).value()));
  }
  for (auto const& gr : present) tiers.push_back({gr});
  for (auto& gr : low) tiers.push_back({std::move(gr)});
  return tiers;
}

}  // namespace kb::kube
