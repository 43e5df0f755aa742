#include "kube/velero_files.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "agent/base/clock.h"
#include "kube/lister.h"
#include "kube/velero_tar.h"

namespace kb::kube {

Status ValidateBackupName(std::string const& name) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  bool ok = !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back());
  for (char c : name) {
    ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  }
  if (!ok) {
    return InvalidArgumentError(fmt::format(
        "backup name \"{}\": use at most 63 lower-case letters, digits, '-' and '.', starting "
        "and ending with a letter or digit",
        name));
  }
  return OkStatus();
}

void BackupResults::AddError(std::string const& ns, std::string message) {
  (ns.empty() ? errors_.velero : errors_.namespaces[ns]).push_back(std::move(message));
}

void BackupResults::AddWarning(std::string const& ns, std::string message) {
  (ns.empty() ? warnings_.velero : warnings_.namespaces[ns]).push_back(std::move(message));
}

namespace {
std::vector<std::string> Flatten(std::vector<std::string> const& velero,
                                 std::map<std::string, std::vector<std::string>> const& by_ns) {
  std::vector<std::string> all = velero;
  for (auto const& [ns, msgs] : by_ns) all.insert(all.end(), msgs.begin(), msgs.end());
  return all;
}

}  // namespace

std::vector<std::string> BackupResults::AllErrors() const {
  return Flatten(errors_.velero, errors_.namespaces);
}
std::vector<std::string> BackupResults::AllWarnings() const {
  return Flatten(warnings_.velero, warnings_.namespaces);
}

json::object BackupResults::ResultJson(Result const& r) {
  json::object o;
  if (!r.velero.empty()) o["velero"] = JsonStringArray(r.velero);
  if (!r.namespaces.empty()) {
    json::object ns;
    for (auto const& [name, msgs] : r.namespaces) ns[name] = JsonStringArray(msgs);
    o["namespaces"] = std::move(ns);
  }
  return o;
}

json::object BackupResults::ToJson() const {
  return json::object{{"errors", ResultJson(errors_)}, {"warnings", ResultJson(warnings_)}};
}

void BackupLog::Line(char const* level, std::string const& msg, Fields const& fields) {
  std::string line = fmt::format("time=\"{}\" level={} msg=\"{}\" {}={}",
                                 FormatRfc3339(clock_.Now()), level, msg, subject_key_, backup_);
  for (auto const& [k, v] : fields) {
    bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
    line += " " + k + "=" + (quote ? "\"" + v + "\"" : v);
  }
  text_ += line + "\n";
}

json::object BackupObjectJson(BackupMetadata const& m) {
  json::object spec;
  auto list = [](std::vector<std::string> const& v, bool star_if_empty) {
    json::array a = JsonStringArray(v);
    if (a.empty() && star_if_empty) a.emplace_back("*");
    return a;
  };
  spec["includedNamespaces"] = list(m.scope.included_namespaces, true);
  std::vector<std::string> excluded = m.scope.excluded_namespaces;
  excluded.insert(excluded.end(), m.scope.label_excluded_namespaces.begin(),
                  m.scope.label_excluded_namespaces.end());
  if (!excluded.empty()) spec["excludedNamespaces"] = list(excluded, false);
  if (!m.scope.included_resources.empty()) {
    spec["includedResources"] = list(m.scope.included_resources, false);
  }
  if (!m.scope.excluded_resources.empty()) {
    spec["excludedResources"] = list(m.scope.excluded_resources, false);
  }
  if (m.scope.include_cluster_resources) {
    spec["includeClusterResources"] = *m.scope.include_cluster_resources;
  }
  if (!m.scope.label_selector.empty()) {
    // Velero's LabelSelector: matchLabels for k=v terms, matchExpressions for the rest.
    json::object match_labels;
    json::array exprs;
    std::string sel = m.scope.label_selector;
    for (std::size_t start = 0; start <= sel.size();) {
      std::size_t end = sel.find(',', start);
      if (end == std::string::npos) end = sel.size();
      std::string term = sel.substr(start, end - start);
      auto eq = term.find('=');
      if (eq != std::string::npos && term.find("!=") == std::string::npos) {
        std::size_t v = term[eq + 1] == '=' ? eq + 2 : eq + 1;
        match_labels[term.substr(0, eq)] = term.substr(v);
      } else if (!term.empty() && term[0] == '!') {
        exprs.emplace_back(json::object{{"key", term.substr(1)}, {"operator", "DoesNotExist"}});
      } else if (!term.empty() && term.find_first_of("!=() ") == std::string::npos) {
        exprs.emplace_back(json::object{{"key", term}, {"operator", "Exists"}});
      }
      start = end + 1;
    }
    json::object ls;
    if (!match_labels.empty()) ls["matchLabels"] = std::move(match_labels);
    if (!exprs.empty()) ls["matchExpressions"] = std::move(exprs);
    spec["labelSelector"] = std::move(ls);
  }
  spec["storageLocation"] = m.storage_location;
  spec["ttl"] = FormatGoDuration(m.ttl);
  spec["snapshotVolumes"] = false;
  spec["defaultVolumesToFsBackup"] = false;
  spec["csiSnapshotTimeout"] = "10m0s";
  spec["itemOperationTimeout"] = "4h0m0s";
  spec["hooks"] = json::object();

  json::object annotations{{kWrittenByAnnotation, "kbackup"}};
  if (!m.server_git_version.empty()) {
    std::string v = m.server_git_version;  // v1.34.4
    std::string major = v.substr(1, v.find('.') - 1);
    std::string rest = v.substr(v.find('.') + 1);
    std::string minor = rest.substr(0, rest.find('.'));
    annotations["velero.io/source-cluster-k8s-gitversion"] = v;
    annotations["velero.io/source-cluster-k8s-major-version"] = major;
    annotations["velero.io/source-cluster-k8s-minor-version"] = minor;
  }
  json::object status{{"version", 1},
                      {"formatVersion", kVeleroBackupFormatVersion},
                      {"phase", m.phase},
                      {"startTimestamp", FormatRfc3339(m.started)},
                      {"completionTimestamp", FormatRfc3339(m.completed)},
                      {"expiration", FormatRfc3339(m.started + m.ttl)},
                      {"progress",
                       json::object{{"totalItems", m.items}, {"itemsBackedUp", m.items}}}};
  if (m.warnings != 0) status["warnings"] = m.warnings;  // omitempty, as Velero writes them
  if (m.errors != 0) status["errors"] = m.errors;
  if (m.phase == "Failed") status["failureReason"] = "see the backup's results and logs";
  return json::object{
      {"apiVersion", "velero.io/v1"},
      {"kind", "Backup"},
      {"metadata", json::object{{"name", m.name},
                                {"namespace", m.velero_namespace},
                                {"labels", json::object{{"velero.io/storage-location",
                                                         m.storage_location}}},
                                {"annotations", std::move(annotations)}}},
      {"spec", std::move(spec)},
      {"status", std::move(status)}};
}

StatusOr<std::vector<BackupFile>> EncodeBackupFiles(
    BackupMetadata const& meta, BackupLog const& log, BackupResults const& results,
    std::map<std::string, std::vector<std::string>> resource_list,
    std::vector<BackupVolumeInfo> volumes) {
  std::vector<BackupFile> files;
  auto put_gz = [&](std::string const& file, std::string const& text) -> Status {
    KB_ASSIGN_OR_RETURN(std::string body, Gzip(text));
    files.push_back({meta.name + file, "application/gzip", std::move(body)});
    return OkStatus();
  };
  // Velero's ToJSONGzip: json.Encoder output, i.e. compact JSON and a newline.
  auto put_json_gz = [&](std::string const& file, json::value const& v) {
    return put_gz(file, json::serialize(v) + "\n");
  };
  KB_RETURN_IF_ERROR(put_gz("-logs.gz", log.text()));
  json::object list;
  for (auto& [key, names] : resource_list) {
    std::sort(names.begin(), names.end());
    list[key] = JsonStringArray(names);
  }
  KB_RETURN_IF_ERROR(put_json_gz("-resource-list.json.gz", list));
  KB_RETURN_IF_ERROR(put_json_gz("-results.gz", results.ToJson()));
  KB_RETURN_IF_ERROR(put_json_gz("-volumesnapshots.json.gz", nullptr));
  KB_RETURN_IF_ERROR(put_json_gz("-podvolumebackups.json.gz", nullptr));
  KB_RETURN_IF_ERROR(put_json_gz("-itemoperations.json.gz", json::array()));
  std::sort(volumes.begin(), volumes.end(),
            [](BackupVolumeInfo const& a, BackupVolumeInfo const& b) {
              return std::tie(a.pvc_namespace, a.pvc_name) < std::tie(b.pvc_namespace, b.pvc_name);
            });
  json::array infos;
  for (BackupVolumeInfo const& v : volumes) {
    infos.push_back(json::object{
        {"pvcName", v.pvc_name},
        {"pvcNamespace", v.pvc_namespace},
        {"pvName", v.pv_name},
        {"snapshotDataMoved", false},
        {"preserveLocalSnapshot", false},
        {"skipped", true},
        {"skippedReason", "kbackup backs up resources only: no volume snapshot or file system "
                          "backup was taken;"},
        {"pvInfo", json::object{{"reclaimPolicy", v.reclaim_policy}, {"labels", v.labels}}}});
  }
  KB_RETURN_IF_ERROR(put_json_gz("-volumeinfo.json.gz", infos));
  files.push_back({"velero-backup.json", "application/json",
                   json::serialize(BackupObjectJson(meta)) + "\n"});
  return files;
}

Status BackupRelatedItems(ApiClient& client, DiscoveryResult const& discovery,
                          BackupScope const& scope, RelatedRefs const& refs,
                          ItemWriter const& write, BackupResults& results) {
  bool const selective = !scope.label_selector.empty();
  if (!selective && scope.ListsClusterScoped()) return OkStatus();  // all listed already
  auto explicitly = [&](std::vector<std::string> const& list, ApiResource const& r) {
    return std::any_of(list.begin(), list.end(),
                       [&](std::string const& p) { return p != "*" && ResourceNameMatches(r, p); });
  };
  auto wanted = [&](char const* gr) -> ApiResource const* {
    ApiResource const* r = FindPreferred(discovery, gr);
    return r != nullptr && !explicitly(scope.excluded_resources, *r) ? r : nullptr;
  };
  auto fetch = [&](ApiResource const& r, std::string const& ns, std::string const& name) -> Status {
    std::string const path = r.CollectionPath(ns) + "/" + name;
    auto body = client.Get(path);
    if (!body.ok()) {
      if (body.status().code() != StatusCode::kNotFound) {
        results.AddError(ns, fmt::format("getting {} {}{}: {}", r.GroupResource(),
                                         ns.empty() ? "" : ns + "/", name,
                                         body.status().message()));
      }
      return OkStatus();
    }
    auto v = ParseJson(*body, path);
    if (!v.ok() || !v->is_object()) return OkStatus();
    return write(r, v->as_object());
  };
  // Velero's pod action: a selected Pod brings its claims, whatever their labels, when the
  // resource filters take PVCs (the claim's namespace is the Pod's, so it is included).
  ApiResource const* pvc = wanted("persistentvolumeclaims");
  if (selective && pvc != nullptr && scope.IncludedResourcesTake(*pvc)) {
    for (auto const& claim : refs.pod_claims) {
      auto slash = claim.find('/');
      KB_RETURN_IF_ERROR(fetch(*pvc, claim.substr(0, slash), claim.substr(slash + 1)));
    }
  }
  if (scope.include_cluster_resources == false) return OkStatus();  // no cluster items at all
  if (ApiResource const* pv = wanted("persistentvolumes")) {
    for (auto const& name : refs.bound_pvs) KB_RETURN_IF_ERROR(fetch(*pv, "", name));
  }
  if (ApiResource const* pc = wanted("priorityclasses.scheduling.k8s.io")) {
    for (auto const& name : refs.priority_classes) KB_RETURN_IF_ERROR(fetch(*pc, "", name));
  }
  ApiResource const* crb = wanted("clusterrolebindings.rbac.authorization.k8s.io");
  if (crb != nullptr && !refs.service_accounts.empty()) {
    ApiResource const* role = wanted("clusterroles.rbac.authorization.k8s.io");
    std::set<std::string> roles;
    ListRequest req;
    req.resource = *crb;
    auto listed = ListObjects(client, req, [&](json::object&& binding) -> Status {
      auto const* subjects = binding.if_contains("subjects");
      if (subjects == nullptr || !subjects->is_array()) return OkStatus();
      bool names_ours = std::any_of(
          subjects->get_array().begin(), subjects->get_array().end(), [&](json::value const& s) {
            if (!s.is_object()) return false;
            auto const& o = s.get_object();
            return JsonString(o, "kind") == "ServiceAccount" &&
                   refs.service_accounts.count(JsonString(o, "namespace") + "/" +
                                               JsonString(o, "name"));
          });
      if (!names_ours) return OkStatus();
      if (auto const* ref = binding.if_contains("roleRef"); ref != nullptr && ref->is_object() &&
                                                            JsonString(ref->get_object(), "kind") ==
                                                                "ClusterRole") {
        roles.insert(JsonString(ref->get_object(), "name"));
      }
      return write(*crb, binding);
    });
    if (!listed.ok()) {
      results.AddError("", "listing clusterrolebindings: " + listed.status().message());
    }
    if (role != nullptr) {
      for (auto const& name : roles) KB_RETURN_IF_ERROR(fetch(*role, "", name));
    }
  }
  ApiResource const* crd =
      FindPreferred(discovery, "customresourcedefinitions.apiextensions.k8s.io");
  if (crd != nullptr && !explicitly(scope.included_resources, *crd) &&
      !explicitly(scope.excluded_resources, *crd)) {
    for (auto const& gr : refs.backed_up_types) {
      if (gr.find('.') == std::string::npos) continue;  // core types have no CRD
      KB_RETURN_IF_ERROR(fetch(*crd, "", gr));
    }
  }
  return OkStatus();
}

}  // namespace kb::kube
