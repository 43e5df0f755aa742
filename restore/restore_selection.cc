#include "restore/restore_selection.h"

#include <algorithm>

#include "kube/restore_order.h"

namespace kb::restore {
namespace {

constexpr char kPods[] = "pods";
constexpr char kClaims[] = "persistentvolumeclaims";
constexpr char kVolumes[] = "persistentvolumes";
constexpr char kPriorityClasses[] = "priorityclasses.scheduling.k8s.io";

json::object const* SpecOf(json::object const& item) {
  auto const* spec = item.if_contains("spec");
  return spec != nullptr ? spec->if_object() : nullptr;
}

}  // namespace

kube::ApiResource ResourceOf(std::string const& group_resource, std::string const& kind) {
  kube::ApiResource r;
  auto dot = group_resource.find('.');
  r.name = group_resource.substr(0, dot);
  if (dot != std::string::npos) r.group = group_resource.substr(dot + 1);
  r.kind = kind;
  return r;
}

StatusOr<RestoreSelection> RestoreSelection::Create(ResourceRestoreOptions const& options) {
  KB_ASSIGN_OR_RETURN(kube::LabelSelector selector,
                      kube::LabelSelector::Parse(options.label_selector));
  return RestoreSelection(options, std::move(selector));
}

RestoreSelection::RestoreSelection(ResourceRestoreOptions const& o, kube::LabelSelector selector)
    : selector_(std::move(selector)), mappings_(o.namespace_mappings) {
  scope_.included_namespaces = o.included_namespaces;
  scope_.excluded_namespaces = o.excluded_namespaces;
  scope_.included_resources = o.included_resources;
  scope_.excluded_resources = o.excluded_resources;
  scope_.include_cluster_resources = o.include_cluster_resources;
}

bool RestoreSelection::TypeIncluded(std::string const& group_resource) const {
  if (kube::IsNonRestorable(group_resource)) return false;
  auto kind = kinds_.find(group_resource);
  kube::ApiResource r = ResourceOf(group_resource, kind == kinds_.end() ? "" : kind->second);
  for (auto const& p : scope_.excluded_resources) {
    if (kube::ResourceNameMatches(r, p)) return false;
  }
  return scope_.IncludedResourcesTake(r);
}

std::vector<std::string> RestoreSelection::TypesNamed(
    std::vector<std::string> const& patterns, std::vector<std::string> const& group_resources) const {
  std::vector<std::string> out;
  for (auto const& gr : group_resources) {
    auto kind = kinds_.find(gr);
    kube::ApiResource r = ResourceOf(gr, kind == kinds_.end() ? "" : kind->second);
    if (std::any_of(patterns.begin(), patterns.end(),
                    [&](std::string const& p) { return kube::ResourceNameMatches(r, p); })) {
      out.push_back(gr);
    }
  }
  return out;
}

bool RestoreSelection::NamespaceIncluded(std::string const& ns) const {
  return scope_.NamespaceIncluded(ns);
}

bool RestoreSelection::TakesEveryNamespace() const { return scope_.TakesEveryNamespace(); }

std::string RestoreSelection::TargetNamespace(std::string const& ns) const {
  auto it = mappings_.find(ns);
  return it == mappings_.end() ? ns : it->second;
}

bool RestoreSelection::SelectorMatches(json::object const* item) const {
  if (selector_.empty() || item == nullptr) return true;
  return selector_.Matches(kube::ObjectLabels(*item));
}

void RestoreSelection::Observe(ItemKey const& key, json::object const& item) {
  json::object const* spec = SpecOf(item);
  bool const selected = !key.cluster_scoped() && TypeIncluded(key.group_resource) &&
                        NamespaceIncluded(key.namespace_name) && SelectorMatches(&item);
  if (key.group_resource == kPods) {
    PodRefs refs{.selected = selected, .claims = {}, .priority_class = {}};
    if (spec != nullptr) {
      refs.priority_class = JsonString(*spec, "priorityClassName");
      if (auto const* volumes = spec->if_contains("volumes"); volumes && volumes->is_array()) {
        for (auto const& v : volumes->get_array()) {
          auto const* vo = v.if_object();
          auto const* claim = vo ? vo->if_contains("persistentVolumeClaim") : nullptr;
          if (claim != nullptr && claim->is_object()) {
            std::string name = JsonString(claim->get_object(), "claimName");
            if (!name.empty()) refs.claims.push_back(std::move(name));
          }
        }
      }
    }
    pods_[key] = std::move(refs);
  } else if (key.group_resource == kClaims) {
    claims_[key] = ClaimRefs{.selected = selected,
                             .volume_name = spec ? JsonString(*spec, "volumeName") : ""};
  }
}

void RestoreSelection::FinishObserving() {
  // Velero's pod action: a restored Pod brings its PVCs and its PriorityClass.
  std::set<ItemKey> claims;
  for (auto const& [key, refs] : pods_) {
    if (!refs.selected) continue;
    for (auto const& c : refs.claims) claims.insert({kClaims, key.namespace_name, c});
    if (!refs.priority_class.empty()) pulled_in_.insert({kPriorityClasses, "", refs.priority_class});
  }
  for (auto const& c : claims) {
    if (TypeIncluded(kClaims) && NamespaceIncluded(c.namespace_name)) pulled_in_.insert(c);
  }
  // Velero's PVC action: a restored bound PVC brings its PV.
  for (auto const& [key, refs] : claims_) {
    if ((refs.selected || pulled_in_.contains(key)) && !refs.volume_name.empty()) {
      pulled_in_.insert({kVolumes, "", refs.volume_name});
    }
  }
}

bool RestoreSelection::Decide(ItemKey const& key, json::object const* item) const {
  if (!TypeIncluded(key.group_resource)) return false;
  bool const pulled = pulled_in_.contains(key);
  if (!key.cluster_scoped()) {
    if (!NamespaceIncluded(key.namespace_name)) return false;
    return pulled || SelectorMatches(item);
  }
  // Cluster-scoped: false = none at all, not even additional items (Velero's restoreItem).
  if (scope_.include_cluster_resources == false) return false;
  if (scope_.include_cluster_resources == true || TakesEveryNamespace()) {
    return pulled || SelectorMatches(item);
  }
  return pulled;  // auto with a namespace filter: only what restored items pull in
}

}  // namespace kb::restore
