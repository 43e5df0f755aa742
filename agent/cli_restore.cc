// `kbackup restore ...`: resource restores of Velero-format backups: create, list, describe, logs.
#include <memory>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/progress.h"
#include "kube/api_client.h"
#include "kube/kubeconfig.h"
#include "restore/resource_restore.h"
#include "restore/restore_files.h"
#include "uploader/location.h"

namespace kb::agent {
namespace {

struct CreateArgs {
  std::string name;
  std::string from_backup;
  std::string kubeconfig, context;
  std::string include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::string selector, namespace_mappings, restore_status;
  std::string include_cluster_resources = "auto";
  std::string existing_resource_policy = "none";
  bool preserve_node_ports = false;
  int parallel = 16;
  std::string terminating_timeout = "10m";
  bool dry_run = false;
};

/// Parses "old:new,a:b". Errors: kInvalidArgument naming the pair.
StatusOr<std::map<std::string, std::string>> ParseMappings(std::string const& text) {
  std::map<std::string, std::string> out;
  for (auto const& pair : SplitCommaList(text)) {
    auto colon = pair.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
      return InvalidArgumentError(fmt::format(
          "--namespace-mappings: \"{}\" is not old:new", pair));
    }
    out[pair.substr(0, colon)] = pair.substr(colon + 1);
  }
  return out;
}

/// Velero's default restore name: <backup>-<UTC yyyymmddhhmmss>.
std::string DefaultRestoreName(std::string const& backup) {
  std::string stamp = FormatRfc3339(SystemClock::Instance().Now());  // 2026-12-02T07:15:00Z
  std::string digits;
  for (char c : stamp) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  return backup + "-" + digits.substr(0, 14);
}

StatusOr<restore::ResourceRestoreOptions> ToOptions(CreateArgs const& a) {
  restore::ResourceRestoreOptions o;
  o.backup_name = a.from_backup;
  o.name = a.name.empty() ? DefaultRestoreName(a.from_backup) : a.name;
  o.included_namespaces = SplitCommaList(a.include_namespaces);
  o.excluded_namespaces = SplitCommaList(a.exclude_namespaces);
  o.included_resources = SplitCommaList(a.include_resources);
  o.excluded_resources = SplitCommaList(a.exclude_resources);
  if (a.include_cluster_resources == "true") o.include_cluster_resources = true;
  if (a.include_cluster_resources == "false") o.include_cluster_resources = false;
  o.label_selector = a.selector;
  KB_ASSIGN_OR_RETURN(o.namespace_mappings, ParseMappings(a.namespace_mappings));
  o.existing_resource_policy = a.existing_resource_policy;
  o.preserve_node_ports = a.preserve_node_ports;
  o.restore_status = SplitCommaList(a.restore_status);
  o.parallel = a.parallel;
  if (!ParseGoDuration(a.terminating_timeout, o.terminating_timeout)) {
    return InvalidArgumentError(fmt::format(
        "--terminating-resource-timeout {}: use a duration like 10m", a.terminating_timeout));
  }
  o.dry_run = a.dry_run;
  KB_RETURN_IF_ERROR(restore::ValidateRestoreOptions(o));
  return o;
}

json::object ItemJson(restore::RestoredItem const& i) {
  json::object o{{"type", i.type}, {"name", i.name}, {"action", i.action}};
  if (!i.namespace_name.empty()) o["namespace"] = i.namespace_name;
  if (!i.message.empty()) o["message"] = i.message;
  return o;
}

void PrintResult(GlobalFlags const& g, restore::ResourceRestoreResult const& r, bool dry_run) {
  if (g.format() == OutputFormat::kJson) {
    json::array items;
    for (auto const& i : r.items) {
      // Every item but the plainly created ones (the bulk of a restore), all in a dry run.
      if (dry_run || i.action != "created") items.push_back(ItemJson(i));
    }
    PrintJson(json::object{{"name", r.name},           {"backup", r.backup_name},
                           {"phase", r.phase},         {"dry_run", dry_run},
                           {"created", r.created},     {"updated", r.updated},
                           {"skipped", r.skipped},     {"failed", r.failed},
                           {"warnings", JsonStringArray(r.warnings)},
                           {"errors", JsonStringArray(r.errors)},
                           {"started", FormatRfc3339(r.started)},
                           {"completed", FormatRfc3339(r.completed)},
                           {"location", g.EffectiveLocation()},
                           {"items", std::move(items)}});
    return;
  }
  if (dry_run) {
    std::vector<std::vector<std::string>> rows;
    for (auto const& i : r.items) {
      rows.push_back({i.action, i.type, i.namespace_name, i.name, i.message});
    }
    PrintTable({"ACTION", "TYPE", "NAMESPACE", "NAME", "WHY"}, rows);
    return;
  }
  PrintTable({"NAME", "BACKUP", "STATUS", "CREATED", "UPDATED", "SKIPPED", "FAILED", "WARNINGS"},
             {{r.name, r.backup_name, r.phase, std::to_string(r.created),
               std::to_string(r.updated), std::to_string(r.skipped), std::to_string(r.failed),
               std::to_string(r.warnings.size())}});
}

int RunCreate(GlobalFlags const& g, CreateArgs const& a) {
  auto options = ToOptions(a);
  if (!options.ok()) return Fail(options.status(), true);
  auto access = kube::ResolveClusterAccess(a.kubeconfig, a.context, kube::ProcessKubeEnv());
  if (!access.ok()) return Fail(access.status(), true);
  auto client = kube::ApiClient::Create(*access);
  if (!client.ok()) return Fail(client.status(), true);
  auto store = g.OpenStore();
  if (!store.ok()) return Fail(store.status(), true);
  Progress progress("restore", Progress::StderrIsTty(), SystemClock::Instance(),
                    ProgressUnit::kItems);
  if (Progress::StderrIsTty()) {
    options->progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.Update(done, total);
    };
  }
  auto r = restore::RunResourceRestore(**client, **store, *options, SystemClock::Instance());
  progress.Done();
  if (!r.ok()) return Fail(r.status(), r.status().code() == StatusCode::kInvalidArgument);
  PrintResult(g, *r, options->dry_run);
  for (auto const& w : r->warnings) PrintError("warning: " + w);
  if (r->failed > 0 || r->phase == "Failed") {
    PrintError(fmt::format("restore {} ended {}: {} item(s) failed; first: {}", r->name,
                           r->phase, r->failed, r->errors.empty() ? "-" : r->errors.front()));
    return kExitFailed;
  }
  return kExitOk;
}

json::object SummaryJson(restore::RestoreSummary const& s) {
  return json::object{{"name", s.name},        {"backup", s.backup_name},
                      {"phase", s.phase},      {"started", s.started},
                      {"completed", s.completed}, {"items_restored", s.items_restored},
                      {"total_items", s.total_items}, {"warnings", s.warnings},
                      {"errors", s.errors}};
}

int WithStore(GlobalFlags const& g, std::function<int(uploader::ObjectStore&)> const& fn) {
  auto store = g.OpenStore();
  if (!store.ok()) return Fail(store.status(), true);
  return fn(**store);
}

int RunList(GlobalFlags const& g) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto list = restore::ListRestores(store);
    if (!list.ok()) return Fail(list.status(), false);
    if (g.format() == OutputFormat::kJson) {
      json::array a;
      for (auto const& s : *list) a.emplace_back(SummaryJson(s));
      PrintJson(a);
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto const& s : *list) {
      rows.push_back({s.name, s.backup_name, s.phase, s.started, std::to_string(s.errors),
                      std::to_string(s.warnings)});
    }
    PrintTable({"NAME", "BACKUP", "STATUS", "STARTED", "ERRORS", "WARNINGS"}, rows);
    return kExitOk;
  });
}

int RunDescribe(GlobalFlags const& g, std::string const& name) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto s = restore::ReadRestore(store, name);
    if (!s.ok()) return Fail(s.status(), false);
    json::object out = SummaryJson(*s);
    out["restore"] = s->object;
    for (auto const& [field, suffix] : {std::pair{"results", "-results.gz"},
                                        std::pair{"resource_list", "-resource-list.json.gz"}}) {
      auto text = restore::ReadRestoreFile(store, name, suffix);
      if (!text.ok()) continue;
      auto v = ParseJson(*text, suffix);
      if (v.ok()) out[field] = *v;
    }
    if (g.format() == OutputFormat::kJson) {
      PrintJson(out);
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows{
        {"name", s->name},          {"backup", s->backup_name},
        {"phase", s->phase},        {"started", s->started},
        {"completed", s->completed},
        {"items restored", fmt::format("{} of {}", s->items_restored, s->total_items)},
        {"warnings", std::to_string(s->warnings)}, {"errors", std::to_string(s->errors)}};
    if (auto const* list = out.if_contains("resource_list"); list && list->is_object()) {
      for (auto const& kv : list->get_object()) {
        auto const* names = kv.value().if_array();
        rows.push_back({std::string(kv.key()),
                        std::to_string(names ? names->size() : 0) + " items"});
      }
    }
    PrintTable({"FIELD", "VALUE"}, rows);
    return kExitOk;
  });
}

int RunLogs(GlobalFlags const& g, std::string const& name) {
  return WithStore(g, [&](uploader::ObjectStore& store) {
    auto logs = restore::ReadRestoreFile(store, name, "-logs.gz");
    if (!logs.ok()) return Fail(logs.status(), false);
    std::fwrite(logs->data(), 1, logs->size(), stdout);
    return kExitOk;
  });
}

}  // namespace

void AddRestoreCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* restore = app.add_subcommand(
      "restore", "Restore Velero-format resource backups into a cluster: create, list, describe, logs");
  restore->require_subcommand(1);

  auto c = std::make_shared<CreateArgs>();
  auto* create = restore->add_subcommand(
      "create", "Restore a backup's resources into a cluster, as Velero does, in parallel");
  create->add_option("name", c->name, "Restore name. Default: <backup>-<UTC yyyymmddhhmmss>");
  create->add_option("--from-backup", c->from_backup, "The backup to restore")->required();
  create->add_option("--kubeconfig", c->kubeconfig,
                     "Target cluster. Default: $KUBECONFIG, ~/.kube/config, else in-cluster");
  create->add_option("--kube-context", c->context, "Default: the kubeconfig's current-context");
  create->add_option("--include-namespaces", c->include_namespaces,
                     "Backed-up namespaces to restore, a,b (globs). Default: *");
  create->add_option("--exclude-namespaces", c->exclude_namespaces, "a,b (globs)");
  create->add_option("--include-resources", c->include_resources,
                     "deployments,configmaps,... Default: *");
  create->add_option("--exclude-resources", c->exclude_resources, "secrets,...");
  create->add_option("-l,--selector", c->selector, "Only items with these labels (k=v,...)");
  create->add_option("--namespace-mappings", c->namespace_mappings,
                     "Restore namespace old as new: old:new,a:b");
  create->add_option("--include-cluster-resources", c->include_cluster_resources,
                     "true, false, or auto (cluster-scoped items only when every namespace is "
                     "restored, else only those restored items use)")
      ->check(CLI::IsMember({"true", "false", "auto"}))
      ->capture_default_str();
  create->add_option("--existing-resource-policy", c->existing_resource_policy,
                     "none (leave existing objects) or update (patch them to the backup)")
      ->check(CLI::IsMember({"none", "update"}))
      ->capture_default_str();
  create->add_flag("--preserve-nodeports", c->preserve_node_ports,
                   "Keep Services' node ports (default: only explicitly set ones)");
  create->add_option("--restore-status", c->restore_status,
                     "Resources whose status is restored too, a,b or *");
  create->add_option("--terminating-resource-timeout", c->terminating_timeout,
                     "How long to wait for a target namespace being deleted to be gone")
      ->capture_default_str();
  create->add_option("--parallel", c->parallel, "Items applied at once within a priority tier")
      ->capture_default_str();
  create->add_flag("--dry-run", c->dry_run, "Print the plan; apply and write nothing");
  create->callback([&g, &exit_code, c] { exit_code = RunCreate(g, *c); });

  auto* list = restore->add_subcommand("list", "List the restores in the location, newest first");
  list->callback([&g, &exit_code] { exit_code = RunList(g); });

  for (auto [verb, help] : {std::pair{"describe", "Show a restore's status, results and items"},
                            std::pair{"logs", "Print a restore's log"}}) {
    auto name = std::make_shared<std::string>();
    auto* cmd = restore->add_subcommand(verb, help);
    cmd->add_option("name", *name, "Restore name")->required();
    std::string v = verb;
    cmd->callback([&g, &exit_code, name, v] {
      exit_code = v == "describe" ? RunDescribe(g, *name) : RunLogs(g, *name);
    });
  }
}

}  // namespace kb::agent
