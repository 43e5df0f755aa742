#include "kube/backup_scope.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace kb::kube {
namespace {

bool Glob(std::string const& pattern, std::string const& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AnyMatches(std::vector<std::string> const& patterns, ApiResource const& r) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](std::string const& p) { return ResourceNameMatches(r, p); });
}

}  // namespace

bool BackupScope::IncludesWildcard() const {
  return included_namespaces.empty() ||
         std::find(included_namespaces.begin(), included_namespaces.end(), "*") !=
             included_namespaces.end();
}

bool BackupScope::TakesEveryNamespace() const {
  return IncludesWildcard() && excluded_namespaces.empty();
}

bool BackupScope::NamespaceIncluded(std::string const& ns) const {
  if (std::find(label_excluded_namespaces.begin(), label_excluded_namespaces.end(), ns) !=
      label_excluded_namespaces.end()) {
    return false;
  }
  for (auto const& p : excluded_namespaces) {
    if (Glob(p, ns)) return false;
  }
  if (IncludesWildcard()) return true;
  return std::any_of(included_namespaces.begin(), included_namespaces.end(),
                     [&](std::string const& p) { return Glob(p, ns); });
}

bool BackupScope::IncludedResourcesTake(ApiResource const& r) const {
  return included_resources.empty() || AnyMatches(included_resources, r);
}

bool BackupScope::ListsClusterScoped() const {
  if (include_cluster_resources) return *include_cluster_resources;
  return TakesEveryNamespace();
}

bool ResourceNameMatches(ApiResource const& r, std::string const& pattern) {
  if (pattern == "*") return true;
  std::string p = Lower(pattern);
  return Glob(p, r.GroupResource()) || Glob(p, r.name) || p == Lower(r.kind) ||
         (!r.group.empty() && p == Lower(r.kind) + "." + r.group);
}

std::vector<ApiResource> PlanResources(DiscoveryResult const& discovery, BackupScope const& scope) {
  // Velero's group order: as discovered, with "extensions" last, so apps wins the cohabiting
  // deployments/daemonsets/replicasets and networking.k8s.io wins networkpolicies.
  std::vector<ApiResource> ordered;
  for (auto const& r : discovery.resources) {
    if (r.preferred && r.group != "extensions") ordered.push_back(r);
  }
  for (auto const& r : discovery.resources) {
    if (r.preferred && r.group == "extensions") ordered.push_back(r);
  }
  static const std::set<std::string> kCohabiting = {"deployments", "daemonsets", "replicasets",
                                                    "networkpolicies", "events"};
  static const std::set<std::string> kAlwaysExcluded = {
      "volumesnapshots.snapshot.storage.k8s.io",
      "volumesnapshotcontents.snapshot.storage.k8s.io"};
  std::set<std::string> cohabiting_seen;
  std::vector<ApiResource> plan;
  for (auto const& r : ordered) {
    if (!r.HasVerbs({"list", "get", "create", "delete"})) continue;
    if (kAlwaysExcluded.count(r.GroupResource())) continue;
    if (kCohabiting.count(r.name) && !cohabiting_seen.insert(r.name).second) continue;
    bool is_namespaces = r.group.empty() && r.name == "namespaces";
    if (!is_namespaces && !scope.IncludedResourcesTake(r)) continue;
    if (AnyMatches(scope.excluded_resources, r)) continue;
    if (!r.namespaced && !is_namespaces && !scope.ListsClusterScoped()) continue;
    plan.push_back(r);
  }
  // Velero lists pods, PVCs and PVs of the core group first.
  auto rank = [](ApiResource const& r) {
    if (!r.group.empty()) return 3;
    if (r.name == "pods") return 0;
    if (r.name == "persistentvolumeclaims") return 1;
    if (r.name == "persistentvolumes") return 2;
    return 3;
  };
  std::stable_sort(plan.begin(), plan.end(), [&](ApiResource const& a, ApiResource const& b) {
    bool ca = a.group.empty(), cb = b.group.empty();
    if (ca != cb) return ca;
    return ca && rank(a) < rank(b);
  });
  return plan;
}

}  // namespace kb::kube
