#include "kube/restore_compare.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>

#include "kube/internal/restore_transform_steps.h"

namespace kb::kube {
namespace {

constexpr std::array<std::string_view, 1> kIgnoredInCompare = {"managedFields"};
constexpr std::array<std::string_view, 3> kIgnoredInPatch = {"managedFields", "resourceVersion",
                                                             "uid"};

bool Ignored(std::span<std::string_view const> ignored, std::string_view key) {
  return std::find(ignored.begin(), ignored.end(), key) != ignored.end();
}

// Equality of two objects without their `ignored` members.
bool SameMembers(json::object const& a, json::object const& b,
                  std::span<std::string_view const> ignored) {
  auto count = [&](json::object const& o) {
    return std::count_if(o.begin(), o.end(),
                         [&](auto const& kv) { return !Ignored(ignored, kv.key()); });
  };
  if (count(a) != count(b)) return false;
  return std::all_of(a.begin(), a.end(), [&](auto const& kv) {
    if (Ignored(ignored, kv.key())) return true;
    json::value const* other = b.if_contains(kv.key());
    return other != nullptr && *other == kv.value();
  });
}

// Merge-patch members turning `from` into `to`; members named in `ignored` are left out.
json::object Diff(json::object const& from, json::object const& to,
                  std::span<std::string_view const> ignored, bool top_level) {
  json::object patch;
  for (auto const& [key, value] : from) {
    if (!Ignored(ignored, key) && !to.contains(key)) patch[key] = nullptr;
  }
  for (auto const& [key, value] : to) {
    if (Ignored(ignored, key)) continue;
    json::value const* old = from.if_contains(key);
    if (old == nullptr) {
      patch[key] = value;
    } else if (old->is_object() && value.is_object()) {
      std::span<std::string_view const> next;
      if (top_level && key == "metadata") next = kIgnoredInPatch;
      json::object sub = Diff(old->get_object(), value.get_object(), next, false);
      if (!sub.empty()) patch[key] = std::move(sub);
    } else if (*old != value) {
      patch[key] = value;
    }
  }
  return patch;
}

// Appends to the array desired[key] the objects of from[key] whose "name" it lacks.
void AppendMissingByName(json::object& desired, json::object const& from, std::string_view key) {
  json::value const* extra_value = from.if_contains(key);
  json::array const* extra = extra_value == nullptr ? nullptr : extra_value->if_array();
  if (extra == nullptr || extra->empty()) return;
  json::value& target_value = desired[key];
  if (!target_value.is_array()) target_value.emplace_array();
  json::array& target = target_value.get_array();
  auto name_of = [](json::value const& v) {
    json::object const* o = v.if_object();
    return o == nullptr ? std::string() : JsonString(*o, "name");
  };
  for (json::value const& e : *extra) {
    std::string const name = name_of(e);
    bool const present = std::any_of(target.begin(), target.end(),
                                     [&](json::value const& t) { return name_of(t) == name; });
    if (!present) target.push_back(e);
  }
}

// Adds to the map desired.metadata[key] the entries of from.metadata[key] whose key it lacks.
void AddMissingKeys(json::object& desired, json::object const& from, std::string_view key) {
  json::object const* extra = internal::FindObject(from, {"metadata", key});
  if (extra == nullptr || extra->empty()) return;
  json::value& metadata = desired["metadata"];
  if (!metadata.is_object()) metadata.emplace_object();
  json::value& target_value = metadata.get_object()[key];
  if (!target_value.is_object()) target_value.emplace_object();
  json::object& target = target_value.get_object();
  for (auto const& [k, v] : *extra) {
    if (!target.contains(k)) target[k] = v;
  }
}

}  // namespace

json::object ServiceAccountMergePatch(json::object const& live, json::object const& prepared,
                                      RestoreItemContext const& ctx) {
  json::object base = live;
  internal::ResetMetadataAndStatus(base);
  internal::AddRestoreLabels(base, ctx.backup_name, ctx.restore_name);
  json::object desired = base;
  AppendMissingByName(desired, prepared, "secrets");
  AppendMissingByName(desired, prepared, "imagePullSecrets");
  AddMissingKeys(desired, prepared, "labels");
  AddMissingKeys(desired, prepared, "annotations");
  return MergePatch(base, desired);
}

json::object NormalizeForCompare(std::string const& group_resource, json::object live,
                                 RestoreItemContext const& ctx) {
  RestoreItemContext normalize;
  normalize.backup_name = ctx.backup_name;
  normalize.restore_name = ctx.restore_name;
  normalize.preserve_node_ports = ctx.preserve_node_ports;
  normalize.pv_restored = ctx.pv_restored;
  // Skip reasons are of no interest: the live object exists.
  (void)internal::ApplyItemTransforms(group_resource, live, normalize);
  if (json::object* metadata = internal::FindObject(live, {"metadata"})) {
    metadata->erase("managedFields");
  }
  live.erase("status");
  internal::AddRestoreLabels(live, ctx.backup_name, ctx.restore_name);
  return live;
}

bool SameObject(json::object const& prepared, json::object const& live_normalized) {
  json::value const* a = prepared.if_contains("metadata");
  json::value const* b = live_normalized.if_contains("metadata");
  if ((a == nullptr) != (b == nullptr)) return false;
  if (a != nullptr) {
    if (a->is_object() && b->is_object()) {
      if (!SameMembers(a->get_object(), b->get_object(), kIgnoredInCompare)) return false;
    } else if (*a != *b) {
      return false;
    }
  }
  std::array<std::string_view, 1> const but_metadata = {"metadata"};
  return SameMembers(prepared, live_normalized, but_metadata);
}

json::object MergePatch(json::object const& from, json::object const& to) {
  return Diff(from, to, {}, true);
}

json::object UpdatePatch(std::string const& group_resource, json::object const& live,
                         json::object const& prepared, RestoreItemContext const& ctx) {
  json::object from = NormalizeForCompare(group_resource, live, ctx);
  json::object* metadata = internal::FindObject(from, {"metadata"});
  json::object const* live_metadata = internal::FindObject(live, {"metadata"});
  json::value const* live_labels =
      live_metadata == nullptr ? nullptr : live_metadata->if_contains("labels");
  if (metadata != nullptr) {
    if (live_labels != nullptr) {
      (*metadata)["labels"] = *live_labels;
    } else {
      metadata->erase("labels");
    }
  }
  return MergePatch(from, prepared);
}

json::object RestoreLabelsPatch(RestoreItemContext const& ctx) {
  json::object patch;
  internal::AddRestoreLabels(patch, ctx.backup_name, ctx.restore_name);
  return patch;
}

}  // namespace kb::kube
