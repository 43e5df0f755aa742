#include "agent/backup_gc.h"

#include "agent/base/clock.h"
#include "agent/base/log.h"
#include "etcd/snapshot_manifest.h"
#include "kube/velero_files.h"
#include "restore/snapshot_source.h"
#include "restore/velero_catalog.h"

namespace kb::agent {
namespace {

// Velero's phases after which a backup is never written again.
bool Final(std::string const& phase) {
  return phase == "Completed" || phase == "PartiallyFailed" || phase == "Failed" ||
         phase == "FailedValidation";
}

bool WrittenByKbackup(json::object const& backup) {
  auto const* md = backup.if_contains("metadata");
  if (md == nullptr || !md->is_object()) return false;
  auto const* annotations = md->get_object().if_contains("annotations");
  return annotations != nullptr && annotations->is_object() &&
         annotations->get_object().contains(kube::kWrittenByAnnotation);
}

void Finish(GcEntry entry, Status const& st, GcReport& report) {
  if (st.ok()) {
    KB_LOG(agent, info, "backup expired kind={} name={} expiration={} objects={}", entry.kind,
           entry.name, entry.expiration, entry.objects_deleted);
    report.deleted.push_back(std::move(entry));
  } else {
    entry.error = std::string(st.message());
    KB_LOG(agent, warn, "expired backup not deleted kind={} name={} error=\"{}\"", entry.kind,
           entry.name, entry.error);
    report.failed.push_back(std::move(entry));
  }
}

Status ExpireSnapshots(uploader::ObjectStore& store, GcOptions const& o, GcReport& report) {
  KB_ASSIGN_OR_RETURN(auto manifests, restore::ListRemoteSnapshots(store));
  for (auto const& m : manifests) {
    if (!m.expires_at || *m.expires_at > o.now) {
      ++report.kept;
      continue;
    }
    GcEntry e{.kind = "etcd-snapshot", .name = m.name, .expiration = FormatRfc3339(*m.expires_at),
              .objects_deleted = 0, .error = {}};
    if (o.dry_run) {
      report.deleted.push_back(std::move(e));
      continue;
    }
    std::string const prefix = etcd::kSnapshotKeyPrefix;
    Status st = store.Delete(prefix + etcd::ManifestFileName(m.name));
    if (st.ok()) {
      e.objects_deleted = 1;
      st = store.Delete(prefix + etcd::SnapshotFileName(m.name));
      if (st.ok()) e.objects_deleted = 2;
    }
    Finish(std::move(e), st, report);
  }
  return OkStatus();
}

Status ExpireVeleroBackups(uploader::ObjectStore& store, GcOptions const& o, GcReport& report) {
  KB_ASSIGN_OR_RETURN(auto backups, restore::ListVeleroBackups(store));
  for (auto const& b : backups) {
    std::chrono::system_clock::time_point expiration;
    if (b.expiration.empty() || !ParseRfc3339(b.expiration, expiration) || expiration > o.now) {
      ++report.kept;
      continue;
    }
    if (!WrittenByKbackup(b.object)) {
      ++report.not_ours;
      continue;
    }
    if (!Final(b.phase)) {
      ++report.in_progress;
      continue;
    }
    GcEntry e{.kind = "backup", .name = b.name, .expiration = b.expiration, .objects_deleted = 0,
              .error = {}};
    if (o.dry_run) {
      report.deleted.push_back(std::move(e));
      continue;
    }
    auto deleted = restore::DeleteVeleroBackup(store, b.name);
    if (deleted.ok()) e.objects_deleted = *deleted;
    Finish(std::move(e), deleted.status(), report);
  }
  return OkStatus();
}

}  // namespace

StatusOr<GcReport> ExpireBackups(uploader::ObjectStore& store, GcOptions const& options) {
  GcReport report;
  KB_RETURN_IF_ERROR(ExpireSnapshots(store, options, report));
  KB_RETURN_IF_ERROR(ExpireVeleroBackups(store, options, report));
  return report;
}

}  // namespace kb::agent
