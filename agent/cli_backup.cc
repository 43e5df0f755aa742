// `kbackup backup ...`: Velero-compatible resource backups: create, list, describe, logs, delete.
#include <memory>

#include "agent/backup_job.h"
#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/progress.h"
#include "kube/api_client.h"
#include "kube/kubeconfig.h"
#include "restore/velero_catalog.h"
#include "uploader/location.h"

namespace kb::agent {
namespace {

struct CreateArgs {
  std::string name;
  std::string kubeconfig, context;
  std::string include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::string include_cluster_resources = "auto";
  std::string selector;
  std::string ttl = "720h";
  std::string storage_location = "default";
  int parallel_lists = 4;
  int page_size = 500;
  bool wait = false;
};

int RunCreate(GlobalFlags const& g, CreateArgs const& a) {
  BackupJobOptions job;
  kube::ResourceBackupOptions& o = job.backup;
  o.name = a.name;
  o.scope.included_namespaces = SplitCommaList(a.include_namespaces);
  o.scope.excluded_namespaces = SplitCommaList(a.exclude_namespaces);
  o.scope.included_resources = SplitCommaList(a.include_resources);
  o.scope.excluded_resources = SplitCommaList(a.exclude_resources);
  if (a.include_cluster_resources == "true") o.scope.include_cluster_resources = true;
  if (a.include_cluster_resources == "false") o.scope.include_cluster_resources = false;
  o.scope.label_selector = a.selector;
  auto ttl = Expiry::Parse(a.ttl);
  if (!ttl.ok()) {
    return Fail(InvalidArgumentError("--ttl: " + std::string(ttl.status().message())), true);
  }
  o.ttl = ttl->ApproximateTtl(SystemClock::Instance().Now());
  o.storage_location = a.storage_location;
  o.parallel_lists = a.parallel_lists;
  o.page_size = a.page_size;
  auto cfg = g.Config();
  if (!cfg.ok()) return Fail(cfg.status(), true);
  std::string kubeconfig = a.kubeconfig;
  if (kubeconfig.empty() && *cfg != nullptr) kubeconfig = (*cfg)->kubeconfig;  // the config's cluster
  auto access = kube::ResolveClusterAccess(kubeconfig, a.context, kube::ProcessKubeEnv());
  if (!access.ok()) return Fail(access.status(), true);
  auto client = kube::ApiClient::Create(*access);
  if (!client.ok()) return Fail(client.status(), true);
  auto store = g.OpenStore();
  if (!store.ok()) return Fail(store.status(), true);
  Progress progress("backup", Progress::StderrIsTty(), SystemClock::Instance());
  if (Progress::StderrIsTty()) {  // no per-object callback when nobody sees it
    o.progress = [&](kube::ResourceBackupProgress const& p) {
      progress.Update(p.tarball_bytes, 0,
                      fmt::format("{}/{} types, {} items", p.types_done, p.types_total, p.items));
    };
  }
  auto r = RunBackupJob(**client, **store, job, SystemClock::Instance());
  progress.Done();
  if (!r.ok()) {
    return Fail(r.status(), r.status().code() == StatusCode::kInvalidArgument);
  }
  if (g.format() == OutputFormat::kJson) {
    PrintJson(json::object{{"name", a.name},
                           {"phase", r->phase},
                           {"items", r->items},
                           {"tarball_bytes", r->tarball_bytes},
                           {"warnings", JsonStringArray(r->warnings)},
                           {"errors", JsonStringArray(r->errors)},
                           {"started", FormatRfc3339(r->started)},
                           {"completed", FormatRfc3339(r->completed)},
                           {"location", g.EffectiveLocation()}});
  } else {
    PrintTable({"NAME", "STATUS", "ITEMS", "SIZE", "WARNINGS", "ERRORS"},
               {{a.name, r->phase, std::to_string(r->items), HumanBytes(r->tarball_bytes),
                 std::to_string(r->warnings.size()), std::to_string(r->errors.size())}});
  }
  if (r->phase != "Completed") {
    PrintError(fmt::format("backup {} ended {}: {}", a.name, r->phase,
                           r->errors.empty() ? "see `kbackup backup describe`" : r->errors[0]));
    return kExitFailed;
  }
  return kExitOk;
}

json::object SummaryJson(restore::BackupSummary const& s) {
  return json::object{{"name", s.name},         {"phase", s.phase},
                      {"items", s.items},       {"warnings", s.warnings},
                      {"errors", s.errors},     {"started", s.started},
                      {"completed", s.completed}, {"expiration", s.expiration}};
}

int WithStore(GlobalFlags const& g, std::function<int(uploader::ObjectStore&)> const& fn) {
  auto store = g.OpenStore();
  if (!store.ok()) return Fail(store.status(), true);
  return fn(**store);
}

int RunList(GlobalFlags const& g) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto list = restore::ListVeleroBackups(store);
    if (!list.ok()) return Fail(list.status(), false);
    if (g.format() == OutputFormat::kJson) {
      json::array a;
      for (auto const& s : *list) a.emplace_back(SummaryJson(s));
      PrintJson(a);
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto const& s : *list) {
      rows.push_back({s.name, s.phase, std::to_string(s.errors), std::to_string(s.warnings),
                      s.started, s.expiration.empty() ? "never" : s.expiration});
    }
    PrintTable({"NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "EXPIRES"}, rows);
    return kExitOk;
  });
}

int RunDescribe(GlobalFlags const& g, std::string const& name) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto s = restore::ReadVeleroBackup(store, name);
    if (!s.ok()) return Fail(s.status(), false);
    json::object out = SummaryJson(*s);
    out["backup"] = s->object;
    for (auto const& [field, suffix] : {std::pair{"results", "-results.gz"},
                                        std::pair{"resource_list", "-resource-list.json.gz"}}) {
      auto text = restore::ReadBackupFile(store, name, suffix);
      if (!text.ok()) continue;
      auto v = ParseJson(*text, suffix);
      if (v.ok()) out[field] = *v;
    }
    if (g.format() == OutputFormat::kJson) {
      PrintJson(out);
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows{
        {"name", s->name},           {"phase", s->phase},
        {"items", std::to_string(s->items)}, {"started", s->started},
        {"completed", s->completed}, {"expires", s->expiration},
        {"warnings", std::to_string(s->warnings)}, {"errors", std::to_string(s->errors)}};
    if (out.contains("resource_list") && out["resource_list"].is_object()) {
      for (auto const& kv : out["resource_list"].as_object()) {
        rows.push_back({std::string(kv.key()),
                        std::to_string(kv.value().as_array().size()) + " items"});
      }
    }
    PrintTable({"FIELD", "VALUE"}, rows);
    return kExitOk;
  });
}

int RunLogs(GlobalFlags const& g, std::string const& name) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto logs = restore::ReadBackupFile(store, name, "-logs.gz");
    if (!logs.ok()) return Fail(logs.status(), false);
    std::fwrite(logs->data(), 1, logs->size(), stdout);
    return kExitOk;
  });
}

int RunDelete(GlobalFlags const& g, std::string const& name) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto n = restore::DeleteVeleroBackup(store, name);
    if (!n.ok()) return Fail(n.status(), false);
    if (g.format() == OutputFormat::kJson) {
      PrintJson(json::object{{"name", name}, {"objects_deleted", *n}});
    } else {
      PrintTable({"NAME", "OBJECTS DELETED"}, {{name, std::to_string(*n)}});
    }
    return kExitOk;
  });
}

}  // namespace

void AddBackupCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* backup = app.add_subcommand(
      "backup", "Velero-compatible resource backups: create, list, describe, logs, delete");
  backup->require_subcommand(1);

  auto c = std::make_shared<CreateArgs>();
  auto* create = backup->add_subcommand("create", "Back up the cluster's resources as Velero does");
  create->add_option("name", c->name, "Backup name")->required();
  create->add_option("--kubeconfig", c->kubeconfig,
                     "Default: $KUBECONFIG, ~/.kube/config, else the in-cluster service account");
  create->add_option("--kube-context", c->context, "Default: the kubeconfig's current-context");
  create->add_option("--include-namespaces", c->include_namespaces, "a,b (globs). Default: *");
  create->add_option("--exclude-namespaces", c->exclude_namespaces, "a,b (globs)");
  create->add_option("--include-resources", c->include_resources,
                     "deployments,configmaps,... Default: *");
  create->add_option("--exclude-resources", c->exclude_resources, "secrets,...");
  create->add_option("--include-cluster-resources", c->include_cluster_resources,
                     "true, false, or auto (cluster-scoped types only when every namespace is in)")
      ->check(CLI::IsMember({"true", "false", "auto"}))
      ->capture_default_str();
  create->add_option("-l,--selector", c->selector, "Only objects with these labels (k=v,...)");
  create->add_option("--ttl", c->ttl, "How long the backup is kept (its expiration): 720h, 30d, 3mo")->capture_default_str();
  create->add_option("--storage-location", c->storage_location,
                     "The Velero BackupStorageLocation name recorded in the backup")
      ->capture_default_str();
  create->add_option("--parallel-lists", c->parallel_lists, "Resource types listed at once")
      ->capture_default_str();
  create->add_option("--page-size", c->page_size, "Objects per LIST page")->capture_default_str();
  create->add_flag("--wait", c->wait, "Wait for the backup to finish (kbackup always does)");
  create->callback([&g, &exit_code, c] { exit_code = RunCreate(g, *c); });

  auto* list = backup->add_subcommand("list", "List the backups in the location, newest first");
  list->callback([&g, &exit_code] { exit_code = RunList(g); });

  for (auto [verb, help] : {std::pair{"describe", "Show a backup's metadata, results and contents"},
                            std::pair{"logs", "Print a backup's log"},
                            std::pair{"delete", "Delete every object of a backup"}}) {
    auto name = std::make_shared<std::string>();
    auto* cmd = backup->add_subcommand(verb, help);
    cmd->add_option("name", *name, "Backup name")->required();
    std::string v = verb;
    cmd->callback([&g, &exit_code, name, v] {
      exit_code = v == "describe" ? RunDescribe(g, *name)
                  : v == "logs"   ? RunLogs(g, *name)
                                  : RunDelete(g, *name);
    });
  }
}

}  // namespace kb::agent
