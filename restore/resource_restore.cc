#include "restore/resource_restore.h"

#include <algorithm>
#include <set>

#include "agent/base/log.h"
#include "kube/discovery.h"
#include "kube/restore_order.h"
#include "kube/velero_backup.h"
#include "restore/internal/restore_passes.h"
#include "restore/internal/restore_run.h"
#include "restore/internal/restore_steps.h"
#include "restore/item_applier.h"
#include "restore/restore_files.h"
#include "restore/restore_scan.h"
#include "restore/restore_selection.h"
#include "restore/velero_catalog.h"

namespace kb::restore {
namespace {

constexpr char kCrds[] = "customresourcedefinitions.apiextensions.k8s.io";

Status NameError(std::string const& what, std::string const& name) {
  return InvalidArgumentError(fmt::format(
      "{} \"{}\": use at most 253 lower-case letters, digits, '-' and '.', starting and ending "
      "with a letter or digit", what, name));
}

bool ValidObjectName(std::string const& name, std::size_t max) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.empty() || name.size() > max || !alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '-' || c == '.';
  });
}

/// The backup must be whole: Completed or PartiallyFailed, a format version kbackup reads.
StatusOr<BackupSummary> CheckBackup(uploader::ObjectStore& store, std::string const& name) {
  KB_ASSIGN_OR_RETURN(BackupSummary backup, ReadVeleroBackup(store, name));
  if (backup.phase != "Completed" && backup.phase != "PartiallyFailed") {
    return FailedPreconditionError(fmt::format(
        "backup {} in {} is {}: only a Completed or PartiallyFailed backup can be restored", name,
        store.Describe(), backup.phase.empty() ? "without a phase" : backup.phase));
  }
  std::string format;
  if (auto const* st = backup.object.if_contains("status"); st && st->is_object()) {
    format = JsonString(st->get_object(), "formatVersion");
  }
  if (!format.empty() && format.rfind("1.", 0) != 0) {
    return FailedPreconditionError(fmt::format(
        "backup {}: format version {} is not one kbackup reads (1.x)", name, format));
  }
  return backup;
}

Status CheckRestoreNameFree(uploader::ObjectStore& store, std::string const& name) {
  KB_ASSIGN_OR_RETURN(uploader::ListPage page, store.List(RestoreKey(name, ""), "", ""));
  if (!page.objects.empty()) {
    return AlreadyExistsError(fmt::format("restore {} already exists in {}: pick another name",
                                          name, store.Describe()));
  }
  return OkStatus();
}

/// Tiers of everything the scan took, CRDs and namespaces left out (they come first, apart).
std::vector<std::vector<std::string>> ItemTiers(BackupScan const& scan) {
  std::vector<std::string> types;
  for (auto const& [gr, stats] : scan.types) {
    if (gr != kCrds && gr != "namespaces" && stats.items > 0) types.push_back(gr);
  }
  return kube::RestoreTiers(std::move(types));
}

kube::RestoreItemContext ItemContext(kube::ApiClient& client, ResourceRestoreOptions const& o,
                                     BackupScan const& scan, RestoreSelection const& selection) {
  kube::RestoreItemContext ctx;
  ctx.backup_name = o.backup_name;
  ctx.restore_name = o.name;
  ctx.namespace_mapping = o.namespace_mappings;
  ctx.preserve_node_ports = o.preserve_node_ports;
  std::vector<std::string> backed_up_types;
  for (auto const& [gr, stats] : scan.types) backed_up_types.push_back(gr);
  ctx.restore_status = selection.TypesNamed(o.restore_status, backed_up_types);
  ctx.service_account_exists = [&client](std::string const& ns, std::string const& name) {
    auto r = client.GetWithStatusBody("/api/v1/namespaces/" + ns + "/serviceaccounts/" + name);
    return r.ok() && r->status == 200;
  };
  std::set<std::string> reprovisioned = scan.reprovisioned_volumes;
  ctx.pv_restored = [reprovisioned](std::string const& pv) {
    return !reprovisioned.contains(pv);
  };
  return ctx;
}

}  // namespace

Status ValidateRestoreOptions(ResourceRestoreOptions const& o) {
  if (!ValidObjectName(o.name, 253)) return NameError("restore name", o.name);
  KB_RETURN_IF_ERROR(kube::ValidateBackupName(o.backup_name));
  if (o.existing_resource_policy != "none" && o.existing_resource_policy != "update") {
    return InvalidArgumentError(fmt::format(
        "--existing-resource-policy {}: use none or update", o.existing_resource_policy));
  }
  if (o.parallel < 1 || o.parallel > 256) {
    return InvalidArgumentError(fmt::format("--parallel {}: use 1 to 256", o.parallel));
  }
  for (auto const& [from, to] : o.namespace_mappings) {
    if (!ValidObjectName(from, 63) || !ValidObjectName(to, 63)) {
      return InvalidArgumentError(fmt::format(
          "--namespace-mappings {}:{}: both sides must be namespace names", from, to));
    }
  }
  return OkStatus();
}

StatusOr<ResourceRestoreResult> RunResourceRestore(kube::ApiClient& client,
                                                   uploader::ObjectStore& store,
                                                   ResourceRestoreOptions const& o, Clock& clock) {
  KB_RETURN_IF_ERROR(ValidateRestoreOptions(o));
  ResourceRestoreResult result;
  result.name = o.name;
  result.backup_name = o.backup_name;
  result.started = clock.Now();
  KB_RETURN_IF_ERROR(CheckBackup(store, o.backup_name).status());
  if (!o.dry_run) KB_RETURN_IF_ERROR(CheckRestoreNameFree(store, o.name));
  KB_ASSIGN_OR_RETURN(kube::DiscoveryResult discovery, kube::Discover(client));
  KB_ASSIGN_OR_RETURN(RestoreSelection selection, RestoreSelection::Create(o));
  for (auto const& r : discovery.resources) selection.AddKind(r.GroupResource(), r.kind);

  std::string const tarball_key = kube::BackupKey(o.backup_name, o.backup_name + ".tar.gz");
  std::string const what = store.Describe() + " " + tarball_key;
  kube::TarballSource source = [&](ChunkSink& sink) { return store.Read(tarball_key, {}, sink); };
  KB_ASSIGN_OR_RETURN(BackupScan scan, ScanBackup(source, what, selection));

  internal::RestoreRun run(clock, o);
  run.Info("Starting restore", {{"backup", o.backup_name}, {"server", client.server()}});
  KB_RETURN_IF_ERROR(internal::Preflight(client, discovery, scan, run));
  run.SetTotal(scan.items + scan.namespaces.size());

  internal::WorkQueue queue(o.parallel, 2 * static_cast<std::size_t>(o.parallel));
  internal::StepContext step{client, o, selection, scan, source, what, queue, run, clock};
  kube::RestoreItemContext const item_context = ItemContext(client, o, scan, selection);
  Status applied = internal::RestoreCrds(step, discovery, item_context);
  if (applied.ok()) internal::CreateNamespaces(step);
  if (applied.ok()) {
    TargetTypes const types(discovery);
    ItemApplier const applier(client, types, item_context, o.existing_resource_policy,
                              o.dry_run, internal::PendingTypes(scan, types));
    internal::PassContext pass{source, what, selection, applier, queue, run};
    auto const tiers = ItemTiers(scan);
    for (auto const& p : internal::PlanPasses(tiers, scan, o.pass_budget_bytes)) {
      applied = internal::RunPass(pass, tiers, p);
      if (!applied.ok()) break;
    }
  }
  if (!applied.ok()) run.Error(fmt::format("restore stopped: {}", applied.message()));
  run.Finish(result);
  result.completed = clock.Now();
  result.phase = o.dry_run                                     ? "DryRun"
                 : result.errors.empty()                       ? "Completed"
                 : (result.created + result.updated > 0)      ? "PartiallyFailed"
                                                               : "Failed";
  run.Info("Restore completed", {{"phase", result.phase}});
  KB_LOG(restore, info,
         "restore done name={} backup={} phase={} created={} updated={} skipped={} failed={}",
         o.name, o.backup_name, result.phase, result.created, result.updated, result.skipped,
         result.failed);
  if (!o.dry_run) {
    KB_RETURN_IF_ERROR(WriteRestoreFiles(store, RestoreRecord{o, result}, run.log(), run.results()));
  }
  return result;
}

}  // namespace kb::restore
