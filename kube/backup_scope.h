#pragma once
// Which namespaces and resource types a Velero-compatible backup takes, with Velero's meaning
// of each filter. Spec: ../shared/spec/velero-format.md §6.1–6.3.

#include <optional>
#include <string>
#include <vector>

#include "kube/discovery.h"

namespace kb::kube {

/// The filters of a backup (Velero's Backup spec fields of the same names).
struct BackupScope {
  /// Namespace globs; empty or "*" = every namespace.
  std::vector<std::string> included_namespaces;
  std::vector<std::string> excluded_namespaces;
  /// Resource names ("deployments", "deployments.apps", "Deployment", globs); empty = all.
  std::vector<std::string> included_resources;
  std::vector<std::string> excluded_resources;
  /// true: every cluster-scoped type; false: none but the namespaces of the backup; nullopt
  /// (auto): every cluster-scoped type when the namespace filter takes every namespace, else
  /// only the namespaces plus related items (BackupRelatedItems: PVs of backed-up PVCs,
  /// PriorityClasses of Pods, bindings of ServiceAccounts, CRDs of backed-up custom resources).
  std::optional<bool> include_cluster_resources;
  /// Label selector passed to every LIST ("app=web"); empty = none.
  std::string label_selector;
  /// Namespaces labelled velero.io/exclude-from-backup=true (found at backup time): left out
  /// like excluded_namespaces, but they do not make `auto` drop the cluster-scoped types.
  std::vector<std::string> label_excluded_namespaces;

  /// True when no namespace is left out: includes empty or "*", and no excludes.
  bool TakesEveryNamespace() const;
  /// True when the include list has "*" (or is empty): one cluster-wide LIST per type.
  bool IncludesWildcard() const;
  /// True when `ns` passes the include and exclude globs.
  bool NamespaceIncluded(std::string const& ns) const;
  /// True when the included_resources list takes `r` (empty: every type).
  bool IncludedResourcesTake(ApiResource const& r) const;
  /// True when cluster-scoped types are listed directly (not only as related items).
  bool ListsClusterScoped() const;
};

/// True when `pattern` names `r`: its group-resource, plural name, kind (any case) or a glob.
bool ResourceNameMatches(ApiResource const& r, std::string const& pattern);

/// The types a backup lists, in Velero's order: preferred versions only, types that support
/// list, get, create and delete, cohabiting types once (apps wins over extensions; core events
/// over events.k8s.io), VolumeSnapshots and VolumeSnapshotContents left out, then the resource
/// filters; cluster-scoped types only as ListsClusterScoped() says ("namespaces" always).
std::vector<ApiResource> PlanResources(DiscoveryResult const& discovery, BackupScope const& scope);

}  // namespace kb::kube
