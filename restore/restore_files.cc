#include "restore/restore_files.h"

#include <algorithm>

#include "agent/base/clock.h"
#include "kube/velero_tar.h"
#include "uploader/download.h"

namespace kb::restore {
namespace {

json::array Strings(std::vector<std::string> const& v) { return JsonStringArray(v); }

Status PutGzipJson(uploader::ObjectStore& store, std::string const& key, json::value const& v) {
  KB_ASSIGN_OR_RETURN(std::string gz, kube::Gzip(json::serialize(v) + "\n"));
  uploader::PutOptions o;
  o.content_type = "application/gzip";
  return store.Put(key, gz, o);
}

}  // namespace

std::string RestoreKey(std::string const& name, std::string const& file) {
  return "restores/" + name + "/" + file;
}

json::object RestoreObjectJson(RestoreRecord const& rec) {
  auto const& o = rec.options;
  auto const& r = rec.result;
  json::object spec{{"backupName", o.backup_name},
                    {"includedNamespaces", Strings(o.included_namespaces)},
                    {"excludedNamespaces", Strings(o.excluded_namespaces)},
                    {"includedResources", Strings(o.included_resources)},
                    {"excludedResources", Strings(o.excluded_resources)},
                    {"existingResourcePolicy", o.existing_resource_policy}};
  if (spec["includedNamespaces"].as_array().empty()) spec["includedNamespaces"] = json::array{"*"};
  if (o.include_cluster_resources) spec["includeClusterResources"] = *o.include_cluster_resources;
  if (!o.label_selector.empty()) spec["labelSelectorText"] = o.label_selector;
  if (!o.namespace_mappings.empty()) {
    json::object m;
    for (auto const& [from, to] : o.namespace_mappings) m[from] = to;
    spec["namespaceMapping"] = std::move(m);
  }
  if (o.preserve_node_ports) spec["preserveNodePorts"] = true;
  if (!o.restore_status.empty()) {
    spec["restoreStatus"] = json::object{{"includedResources", Strings(o.restore_status)}};
  }
  json::object status{
      {"phase", r.phase},
      {"startTimestamp", FormatRfc3339(r.started)},
      {"completionTimestamp", FormatRfc3339(r.completed)},
      {"progress", json::object{{"totalItems", r.created + r.updated + r.skipped + r.failed},
                                {"itemsRestored", r.created + r.updated}}}};
  if (!r.warnings.empty()) status["warnings"] = r.warnings.size();
  if (!r.errors.empty()) status["errors"] = r.errors.size();
  return json::object{
      {"apiVersion", "velero.io/v1"},
      {"kind", "Restore"},
      {"metadata", json::object{{"name", o.name}, {"namespace", "velero"}}},
      {"spec", std::move(spec)},
      {"status", std::move(status)},
      {"kbackup", json::object{{"created", r.created}, {"updated", r.updated},
                               {"skipped", r.skipped}, {"failed", r.failed}}}};
}

std::map<std::string, std::vector<std::string>> RestoredResourceList(
    std::vector<RestoredItem> const& items) {
  std::map<std::string, std::vector<std::string>> list;
  for (auto const& i : items) {
    std::string name = i.namespace_name.empty() ? i.name : i.namespace_name + "/" + i.name;
    list[i.type].push_back(name + "(" + i.action + ")");
  }
  for (auto& [type, names] : list) std::sort(names.begin(), names.end());
  return list;
}

Status WriteRestoreFiles(uploader::ObjectStore& store, RestoreRecord const& rec,
                         kube::BackupLog const& log, kube::BackupResults const& results) {
  std::string const& name = rec.options.name;
  auto key = [&](std::string const& file) { return RestoreKey(name, file); };
  {
    KB_ASSIGN_OR_RETURN(std::string gz, kube::Gzip(log.text()));
    uploader::PutOptions o;
    o.content_type = "application/gzip";
    KB_RETURN_IF_ERROR(store.Put(key("restore-" + name + "-logs.gz"), gz, o));
  }
  KB_RETURN_IF_ERROR(PutGzipJson(store, key("restore-" + name + "-results.gz"), results.ToJson()));
  json::object list;
  for (auto const& [type, names] : RestoredResourceList(rec.result.items)) {
    list[type] = JsonStringArray(names);
  }
  KB_RETURN_IF_ERROR(
      PutGzipJson(store, key("restore-" + name + "-resource-list.json.gz"), list));
  KB_RETURN_IF_ERROR(
      PutGzipJson(store, key("restore-" + name + "-itemoperations.json.gz"), json::array{}));
  KB_RETURN_IF_ERROR(PutGzipJson(store, key(name + "-volumeinfo.json.gz"), json::array{}));
  uploader::PutOptions o;
  o.content_type = "application/json";
  return store.Put(key("velero-restore.json"), json::serialize(RestoreObjectJson(rec)), o);
}

StatusOr<RestoreSummary> ReadRestore(uploader::ObjectStore& store, std::string const& name) {
  std::string const k = RestoreKey(name, "velero-restore.json");
  auto text = uploader::ReadObjectToString(store, k);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no restore {} in {}", name, store.Describe()));
    }
    return text.status();
  }
  KB_ASSIGN_OR_RETURN(json::value v, ParseJson(*text, store.Describe() + " " + k));
  if (!v.is_object()) return InvalidArgumentError(k + ": not a Restore object");
  RestoreSummary s;
  s.object = v.get_object();
  s.name = name;
  if (auto const* spec = s.object.if_contains("spec"); spec && spec->is_object()) {
    s.backup_name = JsonString(spec->get_object(), "backupName");
  }
  if (auto const* st = s.object.if_contains("status"); st && st->is_object()) {
    auto const& so = st->get_object();
    s.phase = JsonString(so, "phase");
    s.started = JsonString(so, "startTimestamp");
    s.completed = JsonString(so, "completionTimestamp");
    s.warnings = JsonInt(so, "warnings");
    s.errors = JsonInt(so, "errors");
    if (auto const* p = so.if_contains("progress"); p && p->is_object()) {
      s.items_restored = JsonInt(p->get_object(), "itemsRestored");
      s.total_items = JsonInt(p->get_object(), "totalItems");
    }
  }
  return s;
}

StatusOr<std::vector<RestoreSummary>> ListRestores(uploader::ObjectStore& store) {
  std::vector<RestoreSummary> out;
  std::string token;
  do {
    KB_ASSIGN_OR_RETURN(uploader::ListPage page, store.List("restores/", "/", token));
    for (auto const& prefix : page.common_prefixes) {
      std::string name = prefix.substr(9, prefix.size() - 10);  // restores/<name>/
      auto s = ReadRestore(store, name);
      if (s.ok()) {
        out.push_back(std::move(*s));
      } else if (s.status().code() != StatusCode::kNotFound) {
        return s.status();
      }
    }
    token = page.next_page_token;
  } while (!token.empty());
  std::sort(out.begin(), out.end(),
            [](auto const& a, auto const& b) { return a.started > b.started; });
  return out;
}

StatusOr<std::string> ReadRestoreFile(uploader::ObjectStore& store, std::string const& name,
                                      std::string const& suffix) {
  std::string const k = RestoreKey(name, "restore-" + name + suffix);
  auto text = uploader::ReadObjectToString(store, k);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no file {} in {}", k, store.Describe()));
    }
    return text.status();
  }
  return kube::Gunzip(*text, k);
}

}  // namespace kb::restore
