#pragma once
// Which backed-up items a resource restore applies: Velero's restore filters (namespaces,
// resources, label selector, cluster-scoped items with the `auto` rule) and the additional items
// its restore item actions pull in (the PVCs of restored Pods, the PV of a restored bound PVC,
// the PriorityClass of a restored Pod). Spec: ../shared/spec/velero-format.md §5.1, §5.3, §5.4.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "agent/base/status.h"
#include "kube/backup_scope.h"
#include "kube/label_selector.h"
#include "restore/resource_restore.h"

namespace kb::restore {

/// Where an item sits in the backup: group-resource, source namespace ("" when cluster-scoped)
/// and name.
struct ItemKey {
  std::string group_resource;
  std::string namespace_name;
  std::string name;
  bool cluster_scoped() const { return namespace_name.empty(); }
  auto operator<=>(ItemKey const&) const = default;
};

/// The filters of one restore. Decide() is exact only after every Pod, PVC and PV of the backup
/// was shown to Observe() (the scan pass does that).
class RestoreSelection {
 public:
  /// Errors: kInvalidArgument (a label selector that does not parse).
  static StatusOr<RestoreSelection> Create(ResourceRestoreOptions const& options);

  /// Tells the kind of a group-resource ("deployments.apps" → "Deployment"), so that resource
  /// filters naming kinds match. Call before the scan for every type the target or the backup's
  /// CRDs serve.
  void AddKind(std::string const& group_resource, std::string const& kind) {
    kinds_[group_resource] = kind;
  }
  /// True when the type passes the resource filters and Velero restores it at all.
  bool TypeIncluded(std::string const& group_resource) const;
  /// The group-resources among `group_resources` that any of `patterns` names, as
  /// --include-resources names types (resource, resource.group, Kind, globs, "*").
  std::vector<std::string> TypesNamed(std::vector<std::string> const& patterns,
                                      std::vector<std::string> const& group_resources) const;
  /// True when the source namespace passes the namespace filters.
  bool NamespaceIncluded(std::string const& source_namespace) const;
  /// True when the namespace filter takes every namespace (includes "*" or none, no excludes).
  bool TakesEveryNamespace() const;
  /// True when a label selector was given.
  bool HasSelector() const { return !selector_.empty(); }
  /// The target namespace of a source namespace (after --namespace-mappings).
  std::string TargetNamespace(std::string const& source_namespace) const;

  /// Notes what a backed-up item refers to (Pods: their PVCs and PriorityClass; PVCs: their
  /// PV). Call for every Pod and PVC of the backup, whatever Decide() says of it yet.
  void Observe(ItemKey const& key, json::object const& item);
  /// Freezes the additional items: call once after the scan, before Decide().
  void FinishObserving();

  /// Whether the item is restored. `item` may be null (unparsable JSON): then only the type and
  /// namespace filters decide, so the failure is reported.
  bool Decide(ItemKey const& key, json::object const* item) const;

 private:
  explicit RestoreSelection(ResourceRestoreOptions const& options, kube::LabelSelector selector);
  bool SelectorMatches(json::object const* item) const;

  kube::BackupScope scope_;  // namespace and resource filters, with Velero's glob semantics
  kube::LabelSelector selector_;
  std::map<std::string, std::string> mappings_;
  std::map<std::string, std::string> kinds_;
  // Observed facts.
  struct PodRefs {
    bool selected = false;  // passes the filters by itself
    std::vector<std::string> claims;
    std::string priority_class;
  };
  struct ClaimRefs {
    bool selected = false;
    std::string volume_name;
  };
  std::map<ItemKey, PodRefs> pods_;
  std::map<ItemKey, ClaimRefs> claims_;
  // Additional items, final after FinishObserving.
  std::set<ItemKey> pulled_in_;
};

/// Splits a group-resource ("deployments.apps", "pods") into an ApiResource with name and group
/// (and `kind`, when known), for the resource filters.
kube::ApiResource ResourceOf(std::string const& group_resource, std::string const& kind = "");

}  // namespace kb::restore
