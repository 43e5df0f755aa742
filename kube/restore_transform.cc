// PrepareForRestore: the order of Velero's restoreItem (pkg/restore/restore.go), the metadata
// reset, namespace mapping, restore labels and the status decision. The item actions live in
// restore_transform_actions.cc, restore_transform_service.cc and restore_transform_pv.cc.
#include "kube/restore_transform.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "agent/base/crypto.h"
#include "kube/internal/restore_transform_steps.h"

namespace kb::kube {
namespace internal {
namespace {

constexpr std::size_t kMaxLabelValueBytes = 63;  // DNS1035LabelMaxLength
constexpr std::size_t kLabelHashDigits = 6;
constexpr std::string_view kMirrorPodAnnotation = "kubernetes.io/config.mirror";

// Fields resetMetadata deletes; everything else in metadata is kept.
constexpr std::array<std::string_view, 9> kResetMetadataFields = {
    "generateName",      "selfLink",          "uid",
    "resourceVersion",   "generation",        "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
};

// isCompleted and the mirror-pod check, which Velero makes before anything else.
std::string CompletionSkipReason(std::string_view gr, json::object const& obj) {
  if (gr == kPods) {
    std::string phase = FindString(obj, {"status", "phase"});
    if (phase == "Succeeded" || phase == "Failed") return "completed Pod (phase " + phase + ")";
    json::object const* annotations = FindObject(obj, {"metadata", "annotations"});
    if (annotations != nullptr && !JsonString(*annotations, kMirrorPodAnnotation).empty()) {
      return "mirror Pod";
    }
  }
  if (gr == kJobs && !FindString(obj, {"status", "completionTime"}).empty()) {
    return "completed Job";
  }
  return "";
}

// Velero's built-in RestoreItemActions, each for the group-resource it registers for.
std::string RunItemActions(std::string_view gr, json::object& obj,
                           RestoreItemContext const& ctx) {
  if (gr == kPods) TransformPod(obj);
  if (gr == kServices) TransformService(obj, ctx.preserve_node_ports);
  if (gr == kServiceAccounts) TransformServiceAccount(obj);
  if (gr == kJobs) TransformJob(obj);
  if (gr == kPersistentVolumeClaims) TransformPvcAnnotations(obj);
  if (gr == kRoleBindings || gr == kClusterRoleBindings) {
    RemapSubjects(obj, ctx.namespace_mapping);
  }
  if (gr == kCrds) TransformCrd(obj);
  if (gr == kMutatingWebhooks || gr == kValidatingWebhooks) TransformWebhookConfiguration(obj);
  if (gr == kApiServices) return ApiServiceSkipReason(obj);
  if (gr == kSecrets) return TransformSecret(obj, ctx);
  return "";
}

void MapNamespace(json::object& obj, std::map<std::string, std::string> const& mapping) {
  json::object* metadata = FindObject(obj, {"metadata"});
  if (metadata == nullptr) return;
  std::string ns = JsonString(*metadata, "namespace");
  if (ns.empty()) return;  // cluster-scoped
  auto it = mapping.find(ns);
  if (it != mapping.end()) (*metadata)["namespace"] = it->second;
}

std::string TrimLower(std::string_view s) {
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// determineRestoreStatus: the restore's list, then the object's annotation.
bool ShouldRestoreStatus(std::string_view gr, json::object const& obj,
                         std::vector<std::string> const& restore_status) {
  bool restore = std::any_of(restore_status.begin(), restore_status.end(),
                             [&](std::string const& r) { return r == "*" || r == gr; });
  json::object const* annotations = FindObject(obj, {"metadata", "annotations"});
  if (annotations == nullptr) return restore;
  std::string value = TrimLower(JsonString(*annotations, kRestoreStatusAnnotation));
  if (value == "true") return true;
  if (value == "false") return false;
  return restore;
}

}  // namespace

json::object* FindObject(json::object& obj, std::initializer_list<std::string_view> path) {
  json::object* cur = &obj;
  for (std::string_view key : path) {
    json::value* v = cur->if_contains(key);
    cur = v == nullptr ? nullptr : v->if_object();
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

json::object const* FindObject(json::object const& obj,
                               std::initializer_list<std::string_view> path) {
  return FindObject(const_cast<json::object&>(obj), path);
}

std::string FindString(json::object const& obj, std::initializer_list<std::string_view> path) {
  if (path.size() == 0) return "";
  json::object const* parent = &obj;
  auto last = path.end() - 1;
  for (auto it = path.begin(); it != last && parent != nullptr; ++it) {
    json::value const* v = parent->if_contains(*it);
    parent = v == nullptr ? nullptr : v->if_object();
  }
  return parent == nullptr ? "" : JsonString(*parent, *last);
}

void EraseFromMap(json::object& obj, std::initializer_list<std::string_view> path,
                  std::initializer_list<std::string_view> keys) {
  if (path.size() == 0) return;
  auto last = path.end() - 1;
  json::object* parent = &obj;
  for (auto it = path.begin(); it != last && parent != nullptr; ++it) {
    json::value* v = parent->if_contains(*it);
    parent = v == nullptr ? nullptr : v->if_object();
  }
  if (parent == nullptr) return;
  json::value* map_value = parent->if_contains(*last);
  json::object* map = map_value == nullptr ? nullptr : map_value->if_object();
  if (map == nullptr) return;
  for (std::string_view key : keys) map->erase(key);
  if (map->empty()) parent->erase(*last);
}

bool ResetMetadataAndStatus(json::object& obj) {
  json::object* metadata = FindObject(obj, {"metadata"});
  if (metadata == nullptr) return false;
  for (std::string_view field : kResetMetadataFields) metadata->erase(field);
  obj.erase("status");
  return true;
}

void AddRestoreLabels(json::object& obj, std::string const& backup_name,
                      std::string const& restore_name) {
  json::value& metadata = obj["metadata"];
  if (!metadata.is_object()) metadata.emplace_object();
  json::value& labels = metadata.get_object()["labels"];
  if (!labels.is_object()) labels.emplace_object();
  json::object& map = labels.get_object();
  map[kBackupNameLabel] = ValidLabelValue(backup_name);
  map[kRestoreNameLabel] = ValidLabelValue(restore_name);
}

std::string ApplyItemTransforms(std::string_view gr, json::object& obj,
                                RestoreItemContext const& ctx) {
  if (FindObject(obj, {"metadata"}) == nullptr) {
    return "no metadata object: not a Kubernetes object";
  }
  std::string reason = CompletionSkipReason(gr, obj);
  auto note = [&](std::string r) {
    if (reason.empty()) reason = std::move(r);
  };
  if (gr == kPersistentVolumes) note(TransformPersistentVolume(obj, ctx.namespace_mapping));
  ResetMetadataAndStatus(obj);  // true: metadata was checked above
  note(RunItemActions(gr, obj, ctx));
  if (gr == kPersistentVolumeClaims) ResetPvcBinding(obj, ctx);
  return reason;
}

}  // namespace internal

PreparedItem PrepareForRestore(std::string const& group_resource, json::object item,
                               RestoreItemContext const& ctx) {
  PreparedItem out;
  // No transform touches the velero.io/restore-status annotation, so deciding before them
  // equals Velero's decision after them; the status is copied only when it will be sent.
  std::optional<json::value> status;
  if (internal::ShouldRestoreStatus(group_resource, item, ctx.restore_status)) {
    json::value const* s = item.if_contains("status");
    if (s != nullptr && !s->is_null()) status = *s;
  }
  out.skip_reason = internal::ApplyItemTransforms(group_resource, item, ctx);
  out.skip = !out.skip_reason.empty();
  internal::MapNamespace(item, ctx.namespace_mapping);
  if (!out.skip) {
    internal::AddRestoreLabels(item, ctx.backup_name, ctx.restore_name);
    out.status = std::move(status);
  }
  out.object = std::move(item);
  return out;
}

std::string ValidLabelValue(std::string_view value) {
  if (value.size() <= internal::kMaxLabelValueBytes) return std::string(value);
  std::string out(value.substr(0, internal::kMaxLabelValueBytes - internal::kLabelHashDigits));
  out += Sha256Hex(value).substr(0, internal::kLabelHashDigits);
  return out;
}

}  // namespace kb::kube
