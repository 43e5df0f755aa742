// kbackup gc: delete the expired backups of the location.
#include <fmt/format.h>

#include "agent/backup_gc.h"
#include "agent/base/clock.h"
#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/output.h"

namespace kb::agent {
namespace {

json::object EntryJson(GcEntry const& e) {
  json::object o{{"kind", e.kind}, {"name", e.name}, {"expiration", e.expiration},
                 {"objects_deleted", e.objects_deleted}};
  if (!e.error.empty()) o["error"] = e.error;
  return o;
}

int RunGc(GlobalFlags const& g, bool dry_run) {
  auto loc = g.Location();
  if (!loc.ok()) return Fail(loc.status(), true);
  auto store = loc->Open();
  if (!store.ok()) return Fail(store.status(), true);
  GcOptions o{.now = SystemClock::Instance().Now(), .dry_run = dry_run};
  auto r = ExpireBackups(**store, o);
  if (!r.ok()) return Fail(r.status(), false);
  if (g.format() == OutputFormat::kJson) {
    json::array deleted, failed;
    for (auto const& e : r->deleted) deleted.push_back(EntryJson(e));
    for (auto const& e : r->failed) failed.push_back(EntryJson(e));
    PrintJson(json::object{{"location", loc->Describe()}, {"dry_run", dry_run},
                           {"deleted", deleted}, {"failed", failed}, {"kept", r->kept},
                           {"not_ours", r->not_ours}, {"in_progress", r->in_progress}});
  } else {
    std::vector<std::vector<std::string>> rows;
    for (auto const& e : r->deleted) {
      rows.push_back({dry_run ? "would delete" : "deleted", e.kind, e.name, e.expiration, ""});
    }
    for (auto const& e : r->failed) rows.push_back({"failed", e.kind, e.name, e.expiration, e.error});
    PrintTable({"ACTION", "KIND", "NAME", "EXPIRED", "ERROR"}, rows);
    fmt::print(stderr, "{} kept, {} expired Velero backups left to Velero, {} in progress\n",
               r->kept, r->not_ours, r->in_progress);
  }
  return r->failed.empty() ? kExitOk : kExitFailed;
}

}  // namespace

void AddGcCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* gc = app.add_subcommand(
      "gc", "Delete the location's expired etcd snapshots and backups (only kbackup's)");
  auto dry_run = std::make_shared<bool>(false);
  gc->add_flag("--dry-run", *dry_run, "Say what would be deleted; delete nothing");
  gc->callback([&g, &exit_code, dry_run] { exit_code = RunGc(g, *dry_run); });
}

}  // namespace kb::agent
