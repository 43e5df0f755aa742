#include "restore/item_applier.h"

#include "kube/go_json.h"
#include "kube/restore_compare.h"

namespace kb::restore {
namespace {

std::string VersionOf(std::string const& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

std::string ApiMessage(kube::ApiClient::RawResponse const& r, std::string const& what) {
  return std::string(kube::KubeHttpError(r.status, r.body, what).message());
}

RestoredItem Failed(RestoredItem out, std::string message) {
  out.action = "failed";
  out.message = std::move(message);
  return out;
}

}  // namespace

std::string ItemType(std::string const& api_version, std::string const& kind) {
  return api_version + "/" + kind;
}

TargetTypes::TargetTypes(kube::DiscoveryResult const& discovery) {
  for (auto const& r : discovery.resources) {
    auto& list = by_group_resource_[r.GroupResource()];
    if (r.preferred) {
      list.insert(list.begin(), r);
    } else {
      list.push_back(r);
    }
  }
}

kube::ApiResource const* TargetTypes::Find(std::string const& group_resource,
                                           std::string const& version) const {
  auto it = by_group_resource_.find(group_resource);
  if (it == by_group_resource_.end()) return nullptr;
  for (auto const& r : it->second) {
    if (r.version == version) return &r;
  }
  return nullptr;
}

std::vector<std::string> TargetTypes::Versions(std::string const& group_resource) const {
  std::vector<std::string> out;
  auto it = by_group_resource_.find(group_resource);
  if (it != by_group_resource_.end()) {
    for (auto const& r : it->second) out.push_back(r.version);
  }
  return out;
}

RestoredItem ItemApplier::Apply(ItemKey const& key, std::string const& raw,
                                std::string& warning) const {
  RestoredItem out{.type = key.group_resource,
                   .namespace_name = context_.namespace_mapping.contains(key.namespace_name)
                                         ? context_.namespace_mapping.at(key.namespace_name)
                                         : key.namespace_name,
                   .name = key.name, .action = {}, .message = {}};
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec || !v.is_object()) {
    return Failed(std::move(out), fmt::format("invalid JSON in the backup: {}",
                                              ec ? ec.message() : "not an object"));
  }
  json::object& item = v.get_object();
  std::string const api_version = JsonString(item, "apiVersion");
  std::string const kind = JsonString(item, "kind");
  if (api_version.empty() || kind.empty()) {
    return Failed(std::move(out), "the item has no apiVersion or kind");
  }
  out.type = ItemType(api_version, kind);
  auto const* md = item.if_contains("metadata");
  if (md == nullptr || !md->is_object() || JsonString(md->get_object(), "name") != key.name) {
    return Failed(std::move(out), "metadata.name does not match the item's path in the tarball");
  }
  kube::ApiResource const* r = types_.Find(key.group_resource, VersionOf(api_version));
  if (r == nullptr && dry_run_ && pending_types_.contains(key.group_resource)) {
    out.action = "create";
    out.message = "after its CustomResourceDefinition is created";
    return out;
  }
  if (r == nullptr) {
    return Failed(std::move(out), fmt::format("the target cluster does not serve {} at {}",
                                              key.group_resource, api_version));
  }
  if (r->kind != kind) {
    return Failed(std::move(out),
                  fmt::format("kind {} does not match its path resources/{}/ (which holds {})",
                              kind, key.group_resource, r->kind));
  }
  if (r->namespaced == key.cluster_scoped()) {
    return Failed(std::move(out), fmt::format("{} is {} in the target cluster", key.group_resource,
                                              r->namespaced ? "namespaced" : "cluster-scoped"));
  }
  return Prepared(key, *r, std::move(out),
                  kube::PrepareForRestore(key.group_resource, std::move(item), context_), warning);
}

RestoredItem ItemApplier::Prepared(ItemKey const& key, kube::ApiResource const& r,
                                   RestoredItem out, kube::PreparedItem prepared,
                                   std::string& warning) const {
  if (prepared.skip) {
    out.action = dry_run_ ? "skip" : "skipped";
    out.message = prepared.skip_reason;
    return out;
  }
  std::string const collection = r.CollectionPath(out.namespace_name);
  std::string const item_path = collection + "/" + key.name;
  if (dry_run_) {
    auto live = client_.GetWithStatusBody(item_path);
    if (!live.ok()) return Failed(std::move(out), std::string(live.status().message()));
    if (live->status == 404) {
      out.action = "create";
      return out;
    }
    if (live->status != 200) return Failed(std::move(out), ApiMessage(*live, "GET " + item_path));
  } else {
    std::string body = kube::GoJson(prepared.object);
    // A create repeated after a lost answer gets 409, which the policy below handles.
    auto created = client_.Write("POST", collection, body, "application/json",
                                 Idempotency::kIdempotent);
    if (!created.ok()) return Failed(std::move(out), std::string(created.status().message()));
    if (created->status == 200 || created->status == 201) {
      out.action = "created";
      if (prepared.status) RestoreStatus(item_path, created->body, *prepared.status, out, warning);
      return out;
    }
    if (created->status != 409) {
      return Failed(std::move(out), ApiMessage(*created, "POST " + collection));
    }
  }
  return Existing(r, item_path, prepared.object, std::move(out), warning);
}

RestoredItem ItemApplier::Existing(kube::ApiResource const& r, std::string const& item_path,
                                   json::object const& prepared, RestoredItem out,
                                   std::string& warning) const {
  auto got = client_.GetWithStatusBody(item_path);
  if (!got.ok()) return Failed(std::move(out), std::string(got.status().message()));
  if (got->status != 200) return Failed(std::move(out), ApiMessage(*got, "GET " + item_path));
  boost::system::error_code ec;
  json::value lv = json::parse(got->body, ec);
  if (ec || !lv.is_object()) return Failed(std::move(out), "GET " + item_path + ": not JSON");
  json::object const& live = lv.get_object();
  std::string const gr = r.GroupResource();
  bool const same = kube::SameObject(prepared, kube::NormalizeForCompare(gr, live, context_));
  std::string const subject =
      out.type + " " + (out.namespace_name.empty() ? out.name : out.namespace_name + "/" + out.name);
  out.action = dry_run_ ? "skip" : "skipped";
  if (same) {
    out.message = "already exists and is the same";
    // Velero patches the backup/restore labels onto an unchanged object under policy update.
    if (policy_ == "update") {
      PatchOrWarn(item_path, kube::UpdatePatch(gr, live, prepared, context_), out, warning,
                  "already exists and is the same; its restore labels were set",
                  subject + ": could not set its restore labels");
    }
    return out;
  }
  if (gr == "serviceaccounts") {
    // Velero merges a differing ServiceAccount whatever the policy (merge_service_account.go).
    json::object patch = kube::ServiceAccountMergePatch(live, prepared, context_);
    out.message = "already exists: nothing of the backup to merge into it";
    if (!patch.empty()) {
      out.message = "already exists: the backup's secrets, image pull secrets, labels and "
                    "annotations would be merged into it";
      if (dry_run_) out.action = "update";
      PatchOrWarn(item_path, patch, out, warning,
                  "already existed: the backup's secrets, image pull secrets, labels and "
                  "annotations merged into it",
                  subject + ": could not merge the backed-up ServiceAccount");
    }
    return out;
  }
  if (policy_ != "update") {
    out.message = "already exists and differs: left as it is "
                  "(--existing-resource-policy update replaces it)";
    warning = fmt::format("could not restore {}: already exists, and the in-cluster version is "
                          "different than the backed-up version", subject);
    return out;
  }
  if (dry_run_) {
    out.action = "update";
    out.message = "already exists and differs: would be patched to the backed-up version";
    return out;
  }
  auto patched = client_.Write("PATCH", item_path,
                               kube::GoJson(kube::UpdatePatch(gr, live, prepared, context_)),
                               kube::kMergePatch, Idempotency::kIdempotent);
  if (patched.ok() && patched->status == 200) {
    out.action = "updated";
    out.message = "already existed and differed: patched to the backed-up version";
    return out;
  }
  std::string why = patched.ok() ? ApiMessage(*patched, "PATCH " + item_path)
                                 : std::string(patched.status().message());
  // Velero's fallback: a warning, and the restore labels alone.
  warning = fmt::format("{}: could not patch it to the backed-up version: {}", subject, why);
  auto labelled = client_.Write("PATCH", item_path, kube::GoJson(kube::RestoreLabelsPatch(context_)),
                                kube::kMergePatch, Idempotency::kIdempotent);
  if (labelled.ok() && labelled->status == 200) {
    out.message = "already exists and differs: the patch to the backed-up version was refused "
                  "(" + why + "); only its restore labels were set";
    return out;
  }
  return Failed(std::move(out), why);
}

void ItemApplier::PatchOrWarn(std::string const& item_path, json::object const& patch,
                              RestoredItem& out, std::string& warning, std::string done,
                              std::string const& failed) const {
  if (dry_run_) return;
  auto patched = client_.Write("PATCH", item_path, kube::GoJson(patch), kube::kMergePatch,
                               Idempotency::kIdempotent);
  if (patched.ok() && patched->status == 200) {
    out.action = "updated";
    out.message = std::move(done);
    return;
  }
  warning = fmt::format("{}: {}", failed,
                        patched.ok() ? ApiMessage(*patched, "PATCH " + item_path)
                                     : std::string(patched.status().message()));
}

void ItemApplier::RestoreStatus(std::string const& item_path, std::string const& created_body,
                                json::value const& status, RestoredItem& out,
                                std::string& warning) const {
  boost::system::error_code ec;
  json::value created = json::parse(created_body, ec);
  if (ec || !created.is_object()) return;
  created.get_object()["status"] = status;
  auto put = client_.Write("PUT", item_path + "/status", kube::GoJson(created),
                           "application/json", Idempotency::kIdempotent);
  if (put.ok() && (put->status == 200 || put->status == 201)) return;
  std::string why = put.ok() ? ApiMessage(*put, "PUT " + item_path + "/status")
                             : std::string(put.status().message());
  warning = fmt::format("{} {}: created, but its status was not restored: {}", out.type,
                        out.name, why);
}

}  // namespace kb::restore
