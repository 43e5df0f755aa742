#include "restore/internal/restore_steps.h"

#include <map>

#include "kube/go_json.h"
#include "restore/internal/restore_passes.h"

namespace kb::restore::internal {
namespace {

constexpr char kCrds[] = "customresourcedefinitions.apiextensions.k8s.io";
constexpr char kCrdPath[] = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";

std::string VersionOf(std::string const& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

std::string Join(std::vector<std::string> const& v) {
  std::string out;
  for (auto const& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// Group-resource → versions of the CRDs in the backup.
std::map<std::string, std::set<std::string>> CrdTypes(BackupScan const& scan) {
  std::map<std::string, std::set<std::string>> out;
  for (auto const& crd : scan.crds) {
    auto const* spec = crd.if_contains("spec");
    if (spec == nullptr || !spec->is_object()) continue;
    auto const& s = spec->get_object();
    auto const* names = s.if_contains("names");
    if (names == nullptr || !names->is_object()) continue;
    std::string gr = JsonString(names->get_object(), "plural") + "." + JsonString(s, "group");
    auto& versions = out[gr];
    if (auto const* vs = s.if_contains("versions"); vs && vs->is_array()) {
      for (auto const& v : vs->get_array()) {
        if (v.is_object()) versions.insert(JsonString(v.get_object(), "name"));
      }
    }
    if (std::string v = JsonString(s, "version"); !v.empty()) versions.insert(v);
  }
  return out;
}

/// True once the CRD's conditions say Established and NamesAccepted.
bool CrdReady(std::string const& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  auto const* obj = ec ? nullptr : v.if_object();
  auto const* status = obj ? obj->if_contains("status") : nullptr;
  auto const* conditions = status && status->is_object()
                               ? status->get_object().if_contains("conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return false;
  int ready = 0;
  for (auto const& c : conditions->get_array()) {
    if (!c.is_object()) continue;
    std::string type = JsonString(c.get_object(), "type");
    if ((type == "Established" || type == "NamesAccepted") &&
        JsonString(c.get_object(), "status") == "True") {
      ++ready;
    }
  }
  return ready == 2;
}

Status WaitCrdReady(StepContext const& ctx, std::string const& name) {
  auto const deadline = ctx.clock.Monotonic() + ctx.options.crd_timeout;
  for (;;) {
    auto r = ctx.client.GetWithStatusBody(kCrdPath + name);
    if (r.ok() && r->status == 200 && CrdReady(r->body)) return OkStatus();
    if (ctx.clock.Monotonic() >= deadline) {
      return DeadlineExceededError(fmt::format(
          "CustomResourceDefinition {} was not Established within {} s", name,
          ctx.options.crd_timeout.count()));
    }
    ctx.clock.SleepFor(std::chrono::milliseconds(250));
  }
}

json::object NamespaceBody(std::string const& target, json::object const& backed_up) {
  json::object md{{"name", target}};
  if (auto const* m = backed_up.if_contains("metadata"); m && m->is_object()) {
    auto const& mo = m->get_object();
    if (auto const* labels = mo.if_contains("labels"); labels && labels->is_object()) {
      json::object l = labels->get_object();
      l.erase("kubernetes.io/metadata.name");  // the API server sets it to the new name
      if (!l.empty()) md["labels"] = std::move(l);
    }
    if (auto const* ann = mo.if_contains("annotations"); ann && ann->is_object()) {
      md["annotations"] = ann->get_object();
    }
  }
  json::object body{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", std::move(md)}};
  if (auto const* spec = backed_up.if_contains("spec"); spec && spec->is_object()) {
    body["spec"] = spec->get_object();
  }
  return body;
}

RestoredItem EnsureNamespace(StepContext const& ctx, std::string const& target,
                             json::object const& backed_up) {
  RestoredItem out{.type = "v1/Namespace", .namespace_name = "", .name = target, .action = {},
                   .message = {}};
  std::string const path = "/api/v1/namespaces/" + target;
  auto const deadline = ctx.clock.Monotonic() + ctx.options.terminating_timeout;
  bool waited = false;
  for (;;) {
    auto live = ctx.client.GetWithStatusBody(path);
    if (!live.ok()) {
      out.action = "failed";
      out.message = std::string(live.status().message());
      return out;
    }
    if (live->status != 200) break;
    bool const terminating = live->body.find("\"Terminating\"") != std::string::npos;
    if (!terminating) {
      out.action = ctx.options.dry_run ? "skip" : "skipped";
      out.message = "already exists";
      return out;
    }
    // Velero waits for a namespace being deleted to be gone, then creates it again.
    if (ctx.options.dry_run || ctx.clock.Monotonic() >= deadline) {
      out.action = ctx.options.dry_run ? "create" : "failed";
      out.message = ctx.options.dry_run
                        ? "after the namespace being deleted (Terminating) is gone"
                        : fmt::format("the namespace is still being deleted (Terminating) after "
                                      "{}: wait until it is gone, or map it to another name "
                                      "with --namespace-mappings",
                                      FormatGoDuration(ctx.options.terminating_timeout));
      return out;
    }
    if (!waited) {
      ctx.run.Info("Namespace is being deleted (Terminating): waiting for it to go",
                   {{"namespace", target},
                    {"timeout", FormatGoDuration(ctx.options.terminating_timeout)}});
      waited = true;
    }
    ctx.clock.SleepFor(std::chrono::seconds(1));
  }
  if (ctx.options.dry_run) {
    out.action = "create";
    return out;
  }
  auto created = ctx.client.Write("POST", "/api/v1/namespaces",
                                  kube::GoJson(NamespaceBody(target, backed_up)),
                                  "application/json", Idempotency::kIdempotent);
  if (created.ok() && (created->status == 201 || created->status == 200)) {
    out.action = "created";
  } else if (created.ok() && created->status == 409) {
    out.action = "skipped";
    out.message = "already exists";
  } else {
    out.action = "failed";
    out.message = created.ok() ? std::string(kube::KubeHttpError(created->status, created->body,
                                                                 "POST /api/v1/namespaces")
                                                 .message())
                               : std::string(created.status().message());
  }
  return out;
}

}  // namespace

Status Preflight(kube::ApiClient& client, kube::DiscoveryResult const& discovery,
                 BackupScan const& scan, RestoreRun& run) {
  TargetTypes const types(discovery);
  auto const crd_types = CrdTypes(scan);
  std::vector<std::string> missing;
  for (auto const& [gr, stats] : scan.types) {
    if (gr == "namespaces" || stats.api_version.empty()) continue;
    std::string const version = VersionOf(stats.api_version);
    if (types.Find(gr, version) != nullptr) continue;
    auto crd = crd_types.find(gr);
    if (crd != crd_types.end() && crd->second.contains(version)) continue;
    auto served = types.Versions(gr);
    missing.push_back(served.empty()
                          ? fmt::format("{} ({})", gr, stats.api_version)
                          : fmt::format("{} at {} (the target serves {})", gr, version,
                                        Join(served)));
  }
  if (!missing.empty()) {
    return FailedPreconditionError(fmt::format(
        "the target cluster {} lacks types the backup restores: {}: install their CRDs or "
        "operators first, or leave them out with --exclude-resources",
        client.server(), Join(missing)));
  }
  if (scan.storage_classes.empty()) return OkStatus();
  KB_ASSIGN_OR_RETURN(std::string body, client.Get("/apis/storage.k8s.io/v1/storageclasses"));
  std::set<std::string> present = scan.restored_storage_classes;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  auto const* items = !ec && v.is_object() ? v.get_object().if_contains("items") : nullptr;
  if (items != nullptr && items->is_array()) {
    for (auto const& i : items->get_array()) {
      auto const* md = i.is_object() ? i.get_object().if_contains("metadata") : nullptr;
      if (md != nullptr && md->is_object()) present.insert(JsonString(md->get_object(), "name"));
    }
  }
  std::vector<std::string> absent;
  for (auto const& sc : scan.storage_classes) {
    if (!present.contains(sc)) absent.push_back(sc);
  }
  if (!absent.empty()) {
    run.Warning(fmt::format(
        "StorageClasses named by restored PVCs and PVs are missing in the target cluster: {} "
        "(their claims stay Pending until StorageClasses of those names exist)", Join(absent)));
  }
  return OkStatus();
}

std::set<std::string> PendingTypes(BackupScan const& scan, TargetTypes const& types) {
  std::set<std::string> out;
  for (auto const& [gr, versions] : CrdTypes(scan)) {
    if (types.Versions(gr).empty()) out.insert(gr);
  }
  return out;
}

Status RestoreCrds(StepContext const& ctx, kube::DiscoveryResult& discovery,
                   kube::RestoreItemContext const& item_context) {
  auto it = ctx.scan.types.find(kCrds);
  if (it == ctx.scan.types.end() || it->second.items == 0) return OkStatus();
  std::vector<std::string> crd_names;
  {
    TargetTypes const types(discovery);
    ItemApplier const applier(ctx.client, types, item_context,
                              ctx.options.existing_resource_policy, ctx.options.dry_run);
    PassContext pass{ctx.source, ctx.what, ctx.selection, applier, ctx.queue, ctx.run};
    KB_RETURN_IF_ERROR(RunPass(pass, {{kCrds}}, Pass{.first = 0, .end = 1}));
  }
  if (ctx.options.dry_run) return OkStatus();
  for (auto const& name : ctx.run.Applied("/CustomResourceDefinition")) {
    Status ready = WaitCrdReady(ctx, name);
    if (!ready.ok()) ctx.run.Error(std::string(ready.message()));
  }
  // The API server serves a new type a moment after Established: discover until it does.
  auto const crd_types = CrdTypes(ctx.scan);
  auto const deadline = ctx.clock.Monotonic() + std::chrono::seconds(30);
  for (;;) {
    KB_ASSIGN_OR_RETURN(discovery, kube::Discover(ctx.client));
    TargetTypes const types(discovery);
    bool all = std::all_of(crd_types.begin(), crd_types.end(),
                           [&](auto const& kv) { return !types.Versions(kv.first).empty(); });
    if (all || ctx.clock.Monotonic() >= deadline) return OkStatus();
    ctx.clock.SleepFor(std::chrono::milliseconds(250));
  }
}

void CreateNamespaces(StepContext const& ctx) {
  for (auto const& [source_ns, obj] : ctx.scan.namespaces) {
    std::string target = ctx.selection.TargetNamespace(source_ns);
    ctx.queue.Submit([&ctx, target, &obj = obj] {
      ctx.run.Record(EnsureNamespace(ctx, target, obj), "");
    });
  }
  ctx.queue.Drain();
}

}  // namespace kb::restore::internal
