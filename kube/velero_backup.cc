#include "kube/velero_backup.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "agent/base/log.h"
#include "kube/go_json.h"
#include "kube/lister.h"
#include "kube/velero_files.h"
#include "kube/velero_tar.h"

namespace kb::kube {

std::string BackupKey(std::string const& name, std::string const& file) {
  return "backups/" + name + "/" + file;
}

namespace {

/// Everything the workers share, behind one mutex.
struct BackupState {
  std::mutex mu;
  VeleroTarWriter* tar = nullptr;
  BackupResults results;
  std::map<std::string, std::vector<std::string>> resource_list;  // "<gv>/<Kind>" → names
  RelatedRefs related;                             // what backed-up items refer to
  std::vector<BackupVolumeInfo> volumes;           // backed-up PVs bound to a claim
  std::set<std::string> written;                   // "<gr>/<ns>/<name>" of cluster items, PVCs
  std::uint64_t items = 0;
  int types_done = 0;
  int types_total = 0;
  Status tar_error;
  std::function<void(ResourceBackupProgress const&)> progress;
  /// Reports progress, if wanted. Caller holds mu.
  void Report() const {
    if (progress) progress({types_done, types_total, items, tar->bytes_written()});
  }
};

bool SkipItem(json::object const& obj) {
  auto const* md = obj.if_contains("metadata");
  if (md == nullptr || !md->is_object()) return false;
  auto const& m = md->get_object();
  if (auto const* del = m.if_contains("deletionTimestamp"); del != nullptr && !del->is_null()) {
    return true;
  }
  auto const* labels = m.if_contains("labels");
  return labels != nullptr && labels->is_object() &&
         JsonString(labels->get_object(), "velero.io/exclude-from-backup") == "true";
}

/// Notes what a backed-up core item refers to (for BackupRelatedItems) and the volume info of
/// a PV bound to a claim. Caller holds state.mu.
void NoteReferences(BackupState& state, ApiResource const& r, json::object const& obj,
                    std::string const& ns, std::string const& name) {
  if (!r.group.empty()) return;
  if (r.name == "serviceaccounts") {
    state.related.service_accounts.insert(ns + "/" + name);
    return;
  }
  auto const* spec_value = obj.if_contains("spec");
  if (spec_value == nullptr || !spec_value->is_object()) return;
  json::object const& spec = spec_value->get_object();
  if (r.name == "persistentvolumeclaims") {
    std::string pv = JsonString(spec, "volumeName");
    if (!pv.empty()) state.related.bound_pvs.insert(pv);
  } else if (r.name == "persistentvolumes") {
    auto const* claim = spec.if_contains("claimRef");
    if (claim == nullptr || !claim->is_object()) return;
    BackupVolumeInfo v{.pvc_namespace = JsonString(claim->get_object(), "namespace"),
                       .pvc_name = JsonString(claim->get_object(), "name"),
                       .pv_name = name,
                       .reclaim_policy = JsonString(spec, "persistentVolumeReclaimPolicy"),
                       .labels = {}};
    if (v.pvc_name.empty()) return;
    auto const* labels = obj.at("metadata").as_object().if_contains("labels");
    if (labels != nullptr && labels->is_object()) v.labels = labels->get_object();
    state.volumes.push_back(std::move(v));
  } else if (r.name == "pods") {
    std::string priority_class = JsonString(spec, "priorityClassName");
    if (!priority_class.empty()) state.related.priority_classes.insert(priority_class);
    auto const* volumes = spec.if_contains("volumes");
    if (volumes == nullptr || !volumes->is_array()) return;
    for (auto const& v : volumes->get_array()) {
      auto const* claim = v.is_object() ? v.get_object().if_contains("persistentVolumeClaim")
                                        : nullptr;
      if (claim == nullptr || !claim->is_object()) continue;
      std::string claim_name = JsonString(claim->get_object(), "claimName");
      if (!claim_name.empty()) state.related.pod_claims.insert(ns + "/" + claim_name);
    }
  }
}

/// Writes one object (both copies) into the tarball and the indexes. Caller holds state.mu.
Status WriteItem(BackupState& state, ApiResource const& r, json::object const& obj,
                 std::string const& encoded) {
  auto const& md = obj.at("metadata").as_object();
  std::string name = JsonString(md, "name");
  std::string ns = r.namespaced ? JsonString(md, "namespace") : "";
  bool const may_be_related =
      !r.namespaced || (r.group.empty() && r.name == "persistentvolumeclaims");
  if (may_be_related && !state.written.insert(r.GroupResource() + "/" + ns + "/" + name).second) {
    return OkStatus();  // already in the backup (listed and also related)
  }
  std::string scope = r.namespaced ? "namespaces/" + ns + "/" : "cluster/";
  std::string base = "resources/" + r.GroupResource() + "/";
  KB_RETURN_IF_ERROR(state.tar->AddFile(base + scope + name + ".json", encoded));
  std::string const preferred = base + r.version + "-preferredversion/";
  KB_RETURN_IF_ERROR(state.tar->AddFile(preferred + scope + name + ".json", encoded));
  state.resource_list[r.GroupVersion() + "/" + r.kind].push_back(ns.empty() ? name
                                                                             : ns + "/" + name);
  ++state.items;
  state.related.backed_up_types.insert(r.GroupResource());
  NoteReferences(state, r, obj, ns, name);
  return OkStatus();
}

/// The resource types to list: discovery's, narrowed by the scope. Namespaces labelled
/// velero.io/exclude-from-backup=true are added to scope.label_excluded_namespaces (left out
/// with their contents). A failed discovery is an error in the results and plans nothing.
std::vector<ApiResource> PlanBackup(ApiClient& client, StatusOr<DiscoveryResult> const& discovery,
                                    BackupScope& scope, BackupState& state, BackupLog& log) {
  if (!discovery.ok()) {
    state.results.AddError("", fmt::format("discovery failed: {}", discovery.status().message()));
    return {};
  }
  for (auto const& w : discovery->warnings) state.results.AddWarning("", w);
  std::vector<ApiResource> plan = PlanResources(*discovery, scope);
  if (ApiResource const* namespaces = FindPreferred(*discovery, "namespaces")) {
    ListRequest req;
    req.resource = *namespaces;
    req.label_selector = "velero.io/exclude-from-backup=true";
    auto st = ListObjects(client, req, [&](json::object&& ns) {
      scope.label_excluded_namespaces.push_back(JsonString(ns.at("metadata").as_object(), "name"));
      return OkStatus();
    });
    if (!st.ok()) {
      state.results.AddError("", "listing excluded namespaces: " + st.status().message());
    }
  }
  for (auto const& ns : scope.label_excluded_namespaces) {
    log.Info("Namespace excluded by label", {{"namespace", ns}});
  }
  return plan;
}

/// Lists the planned types in parallel; every page's objects go straight into the tarball.
class TypeLister {
 public:
  TypeLister(ApiClient& client, BackupScope const& scope, ResourceBackupOptions const& options,
             BackupState& state, BackupLog& log)
      : client_(client), scope_(scope), options_(options), state_(state), log_(log),
        namespace_globs_(std::any_of(
            scope.included_namespaces.begin(), scope.included_namespaces.end(),
            [](std::string const& n) { return n.find_first_of("*?[") != std::string::npos; })) {}

  /// Lists every type of `plan` with options.parallel_lists workers; returns when all are done.
  void ListAll(std::vector<ApiResource> const& plan) {
    std::atomic<std::size_t> next{0};
    std::vector<std::jthread> workers;
    int n = std::max(1, std::min<int>(options_.parallel_lists, static_cast<int>(plan.size())));
    for (int w = 0; w < n; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i = next++; i < plan.size(); i = next++) {
          ListType(plan[i]);
          std::lock_guard lock(state_.mu);
          ++state_.types_done;
          state_.Report();
        }
      });
    }
  }

 private:
  /// Lists type `r` in each namespace it is listed in; failures go to the results.
  void ListType(ApiResource const& r) {
    if (server_gone_) {
      std::lock_guard lock(state_.mu);
      state_.results.AddError("", fmt::format("{} not listed: the API server {} is unreachable",
                                              r.GroupResource(), client_.server()));
      return;
    }
    std::vector<std::string> namespaces{""};
    if (r.namespaced && !namespace_globs_) namespaces = scope_.included_namespaces;
    if (namespaces.empty()) namespaces = {""};
    for (auto const& ns : namespaces) {
      auto stats = ListInto(r, ns);
      std::lock_guard lock(state_.mu);
      if (!stats.ok()) {
        if (!state_.tar_error.ok()) return;
        RecordListFailure(r, ns, stats.status());
        continue;
      }
      log_.Info("Listed resource", {{"resource", r.GroupResource()},
                                    {"namespace", ns},
                                    {"items", std::to_string(stats->objects)}});
      for (int i = 0; i < stats->expired_continues; ++i) {
        state_.results.AddWarning(ns, fmt::format(
            "listing {}: a continue token expired; objects changed meanwhile may be missing",
            r.GroupResource()));
      }
    }
  }

  /// Lists type `r` in namespace `ns` ("" = all) into the tarball.
  StatusOr<ListStats> ListInto(ApiResource const& r, std::string const& ns) {
    ListRequest req;
    req.resource = r;
    req.namespace_name = ns;
    req.label_selector = scope_.label_selector;
    req.page_size = options_.page_size;
    bool is_namespaces = r.group.empty() && r.name == "namespaces";
    return ListObjects(client_, req, [&](json::object&& obj) -> Status {
      if (SkipItem(obj)) return OkStatus();
      auto const& md = obj.at("metadata").as_object();
      std::string item_ns = is_namespaces ? JsonString(md, "name") : JsonString(md, "namespace");
      if ((r.namespaced || is_namespaces) && !scope_.NamespaceIncluded(item_ns)) {
        return OkStatus();
      }
      std::string encoded = GoJson(obj);
      std::lock_guard lock(state_.mu);
      Status st = WriteItem(state_, r, obj, encoded);
      if (!st.ok()) state_.tar_error = st;
      state_.Report();
      return st;
    });
  }

  /// A type the credentials may not list (403) is a warning, as Velero carries on without it;
  /// any other failure is an error. Once the API server stayed unreachable through a LIST's
  /// retries, the types not yet listed fail at once instead of each spending the retry budget
  /// again. Caller holds state_.mu.
  void RecordListFailure(ApiResource const& r, std::string const& ns, Status const& status) {
    std::string what = fmt::format("listing {}{}: {}", r.GroupResource(),
                                   ns.empty() ? "" : " in " + ns, status.message());
    if (status.code() == StatusCode::kPermissionDenied) {
      state_.results.AddWarning(ns, what);
      log_.Warn(what, {{"resource", r.GroupResource()}});
      return;
    }
    if (status.code() == StatusCode::kUnavailable) server_gone_ = true;
    state_.results.AddError(ns, what);
    log_.Error(what, {{"resource", r.GroupResource()}});
  }

  ApiClient& client_;
  BackupScope const& scope_;
  ResourceBackupOptions const& options_;
  BackupState& state_;
  BackupLog& log_;
  /// Plain namespace names: one LIST each; a glob among them: one LIST cluster-wide, filtered.
  bool const namespace_globs_;
  /// Set once the API server stayed unreachable through a LIST's retries.
  std::atomic<bool> server_gone_{false};
};

/// Closes the tarball and, when it is whole, finishes `sink` (commits the upload). Returns the
/// first failure of the tar or the sink; the sink is left unfinished after a tar failure.
Status CloseTarball(BackupState& state, std::unique_ptr<VeleroTarWriter> tar, ChunkSink& sink,
                    ResourceBackupResult& result) {
  Status tar_status = state.tar_error.ok() ? tar->Close() : state.tar_error;
  result.tarball_bytes = tar->bytes_written();
  state.tar = nullptr;
  tar.reset();
  return tar_status.ok() ? sink.Finish() : tar_status;
}

}  // namespace

StatusOr<ResourceBackupResult> RunResourceBackup(ApiClient& client, ChunkSink& tarball,
                                                 ResourceBackupOptions const& o, Clock& clock) {
  KB_RETURN_IF_ERROR(ValidateBackupName(o.name));
  ResourceBackupResult result;
  result.started = clock.Now();
  BackupLog log(clock, o.name, o.velero_namespace);
  BackupState state;
  log.Info("Starting backup", {{"server", client.server()}});
  KB_ASSIGN_OR_RETURN(std::unique_ptr<VeleroTarWriter> tar,
                      VeleroTarWriter::Create(tarball, result.started));
  state.tar = tar.get();
  KB_RETURN_IF_ERROR(
      state.tar->AddFile("metadata/version", std::string(kVeleroBackupFormatVersion) + "\n"));

  BackupScope scope = o.scope;
  auto discovery = Discover(client);
  std::vector<ApiResource> plan = PlanBackup(client, discovery, scope, state, log);
  state.progress = o.progress;
  state.types_total = static_cast<int>(plan.size());
  TypeLister(client, scope, o, state, log).ListAll(plan);
  if (discovery.ok() && state.tar_error.ok()) {
    KB_RETURN_IF_ERROR(BackupRelatedItems(
        client, *discovery, scope, state.related,
        [&](ApiResource const& r, json::object const& obj) {
          std::lock_guard lock(state.mu);
          return WriteItem(state, r, obj, GoJson(obj));
        },
        state.results));
  }

  Status tarball_status = CloseTarball(state, std::move(tar), tarball, result);
  if (!tarball_status.ok()) {
    state.results.AddError("", fmt::format("writing the tarball: {}", tarball_status.message()));
  }
  result.items = state.items;
  result.warnings = state.results.AllWarnings();
  result.errors = state.results.AllErrors();
  result.phase = result.errors.empty()                       ? "Completed"
                 : (state.items > 0 && tarball_status.ok())  ? "PartiallyFailed"
                                                             : "Failed";
  result.completed = clock.Now();
  log.Info("Backup completed", {{"phase", result.phase}, {"items", std::to_string(result.items)}});
  BackupMetadata meta{.name = o.name,
                      .velero_namespace = o.velero_namespace,
                      .storage_location = o.storage_location,
                      .scope = scope,
                      .ttl = o.ttl,
                      .server_git_version = discovery.ok() ? discovery->server_git_version : "",
                      .phase = result.phase,
                      .started = result.started,
                      .completed = result.completed,
                      .items = result.items,
                      .warnings = static_cast<int>(result.warnings.size()),
                      .errors = static_cast<int>(result.errors.size())};
  KB_ASSIGN_OR_RETURN(result.files, EncodeBackupFiles(meta, log, state.results,
                                                      state.resource_list, state.volumes));
  return result;
}

}  // namespace kb::kube
