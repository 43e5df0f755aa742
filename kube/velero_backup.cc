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
#include "uploader/pipelined_upload_sink.h"

namespace kb::kube {

std::string BackupKey(std::string const& name, std::string const& file) {
  return "backups/" + name + "/" + file;
}

namespace {

namespace fs = std::filesystem;

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

}  // namespace

StatusOr<ResourceBackupResult> RunResourceBackup(ApiClient& client, uploader::ObjectStore& store,
                                                 ResourceBackupOptions const& o, Clock& clock) {
  KB_RETURN_IF_ERROR(ValidateBackupName(o.name));
  if (auto existing = store.Stat(BackupKey(o.name, "velero-backup.json")); existing.ok()) {
    return AlreadyExistsError(fmt::format("backup {} already exists in {}: pick another name",
                                          o.name, store.Describe()));
  }
  ResourceBackupResult result;
  result.started = clock.Now();
  BackupLog log(clock, o.name, o.velero_namespace);
  BackupState state;
  log.Info("Starting backup", {{"server", client.server()}});

  // The tarball: written into a local staging file and uploaded as it grows.
  fs::path staging = o.work_dir / fmt::format(".kbackup-{}-{}.tar.gz", o.name, ::getpid());
  uploader::UploadOptions up = o.upload;
  up.journal_path = o.work_dir / fmt::format(".kbackup-{}-{}.upload.json", o.name, ::getpid());
  up.put.content_type = "application/gzip";
  auto sink = uploader::PipelinedUploadSink::Create(store, BackupKey(o.name, o.name + ".tar.gz"),
                                                    staging, up);
  if (!sink.ok()) return sink.status();
  auto tar = VeleroTarWriter::Create(**sink, result.started);
  if (!tar.ok()) return tar.status();
  state.tar = tar->get();
  std::string version = std::string(kVeleroBackupFormatVersion) + "\n";
  KB_RETURN_IF_ERROR(state.tar->AddFile("metadata/version", version));

  std::string server_version;
  BackupScope scope = o.scope;
  auto discovery = Discover(client);
  std::vector<ApiResource> plan;
  if (!discovery.ok()) {
    state.results.AddError("", fmt::format("discovery failed: {}", discovery.status().message()));
  } else {
    server_version = discovery->server_git_version;
    for (auto const& w : discovery->warnings) state.results.AddWarning("", w);
    plan = PlanResources(*discovery, scope);
    // Namespaces labelled velero.io/exclude-from-backup=true are left out with their contents.
    if (ApiResource const* namespaces = FindPreferred(*discovery, "namespaces")) {
      ListRequest req;
      req.resource = *namespaces;
      req.label_selector = "velero.io/exclude-from-backup=true";
      auto st = ListObjects(client, req, [&](json::object&& ns) {
        scope.label_excluded_namespaces.push_back(
            JsonString(ns.at("metadata").as_object(), "name"));
        return OkStatus();
      });
      if (!st.ok()) {
        state.results.AddError("", "listing excluded namespaces: " + st.status().message());
      }
    }
    for (auto const& ns : scope.label_excluded_namespaces) {
      log.Info("Namespace excluded by label", {{"namespace", ns}});
    }
  }

  // Plain namespace names: one LIST each; a glob among them: one LIST cluster-wide, filtered.
  bool const namespace_globs =
      std::any_of(scope.included_namespaces.begin(), scope.included_namespaces.end(),
                  [](std::string const& n) { return n.find_first_of("*?[") != std::string::npos; });
  // Lists run in parallel; every page's objects go straight into the tarball.
  std::atomic<std::size_t> next{0};
  // Once the API server stayed unreachable through a LIST's retries, the types not yet listed
  // fail at once instead of each spending the retry budget again.
  std::atomic<bool> server_gone{false};
  auto list_one = [&](ApiResource const& r) {
    if (server_gone) {
      std::lock_guard lock(state.mu);
      state.results.AddError("", fmt::format("{} not listed: the API server {} is unreachable",
                                              r.GroupResource(), client.server()));
      return;
    }
    std::vector<std::string> namespaces{""};
    if (r.namespaced && !namespace_globs) namespaces = scope.included_namespaces;
    if (namespaces.empty()) namespaces = {""};
    for (auto const& ns : namespaces) {
      ListRequest req;
      req.resource = r;
      req.namespace_name = ns;
      req.label_selector = scope.label_selector;
      req.page_size = o.page_size;
      bool is_namespaces = r.group.empty() && r.name == "namespaces";
      auto stats = ListObjects(client, req, [&](json::object&& obj) -> Status {
        if (SkipItem(obj)) return OkStatus();
        auto const& md = obj.at("metadata").as_object();
        std::string item_ns = is_namespaces ? JsonString(md, "name") : JsonString(md, "namespace");
        if ((r.namespaced || is_namespaces) && !scope.NamespaceIncluded(item_ns)) {
          return OkStatus();
        }
        std::string encoded = GoJson(obj);
        std::lock_guard lock(state.mu);
        Status st = WriteItem(state, r, obj, encoded);
        if (!st.ok()) state.tar_error = st;
        state.Report();
        return st;
      });
      std::lock_guard lock(state.mu);
      if (!stats.ok()) {
        if (!state.tar_error.ok()) return;
        std::string what = fmt::format("listing {}{}: {}", r.GroupResource(),
                                       ns.empty() ? "" : " in " + ns, stats.status().message());
        if (stats.status().code() == StatusCode::kPermissionDenied) {
          state.results.AddWarning(ns, what);  // Velero too carries on without the type
          log.Warn(what, {{"resource", r.GroupResource()}});
        } else {
          if (stats.status().code() == StatusCode::kUnavailable) server_gone = true;
          state.results.AddError(ns, what);
          log.Error(what, {{"resource", r.GroupResource()}});
        }
        continue;
      }
      log.Info("Listed resource", {{"resource", r.GroupResource()},
                                   {"namespace", ns},
                                   {"items", std::to_string(stats->objects)}});
      for (int i = 0; i < stats->expired_continues; ++i) {
        state.results.AddWarning(ns, fmt::format(
            "listing {}: a continue token expired; objects changed meanwhile may be missing",
            r.GroupResource()));
      }
    }
  };
  state.progress = o.progress;
  state.types_total = static_cast<int>(plan.size());
  {
    std::vector<std::jthread> workers;
    int n = std::max(1, std::min<int>(o.parallel_lists, static_cast<int>(plan.size())));
    for (int w = 0; w < n; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i = next++; i < plan.size(); i = next++) {
          list_one(plan[i]);
          std::lock_guard lock(state.mu);
          ++state.types_done;
          state.Report();
        }
      });
    }
  }

  if (discovery.ok() && state.tar_error.ok()) {
    KB_RETURN_IF_ERROR(BackupRelatedItems(
        client, *discovery, scope, state.related,
        [&](ApiResource const& r, json::object const& obj) {
          std::lock_guard lock(state.mu);
          return WriteItem(state, r, obj, GoJson(obj));
        },
        state.results));
  }

  // Close and commit the tarball, then the files beside it, velero-backup.json last.
  Status tar_status = state.tar_error.ok() ? state.tar->Close() : state.tar_error;
  result.tarball_bytes = state.tar->bytes_written();
  tar.value().reset();
  Status upload_status = tar_status.ok() ? (*sink)->Finish() : tar_status;
  sink.value().reset();  // without Finish: the upload is aborted
  std::error_code ec;
  fs::remove(staging, ec);
  if (!upload_status.ok()) {
    state.results.AddError("", fmt::format("writing the tarball: {}", upload_status.message()));
  }
  result.items = state.items;
  result.warnings = state.results.AllWarnings();
  result.errors = state.results.AllErrors();
  result.phase = result.errors.empty()                        ? "Completed"
                 : (state.items > 0 && upload_status.ok())     ? "PartiallyFailed"
                                                               : "Failed";
  result.completed = clock.Now();
  log.Info("Backup completed", {{"phase", result.phase}, {"items", std::to_string(result.items)}});
  BackupMetadata meta{.name = o.name,
                      .velero_namespace = o.velero_namespace,
                      .storage_location = o.storage_location,
                      .scope = scope,
                      .ttl = o.ttl,
                      .server_git_version = server_version,
                      .phase = result.phase,
                      .started = result.started,
                      .completed = result.completed,
                      .items = result.items,
                      .warnings = static_cast<int>(result.warnings.size()),
                      .errors = static_cast<int>(result.errors.size())};
  KB_RETURN_IF_ERROR(
      WriteBackupFiles(store, meta, log, state.results, state.resource_list, state.volumes));
  KB_LOG(kube, info, "backup done name={} phase={} items={} tarball_bytes={} warnings={} errors={}",
         o.name, result.phase, result.items, result.tarball_bytes, result.warnings.size(),
         result.errors.size());
  return result;
}

}  // namespace kb::kube
