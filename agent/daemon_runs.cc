// The daemon's runs: one schedule's run with its retries, the etcd snapshot, the resource
// backup, expiry after a run, uploads resumed at start.
#include "agent/internal/daemon_impl.h"

namespace kb::agent::internal {
namespace {

/// "20261124T020004Z" → "20261124020004", Velero's stamp in scheduled backup names.
std::string VeleroStamp(TimePoint t) {
  std::string out;
  for (char ch : FormatCompactUtc(t)) {
    if (ch >= '0' && ch <= '9') out += ch;
  }
  return out;
}

/// Bytes of the regular files in `dir` (not recursive); 0 when it is missing.
std::uint64_t DirBytes(fs::path const& dir, std::uint64_t* newest_snapshot) {
  std::uint64_t total = 0;
  fs::file_time_type newest{};
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    auto size = e.file_size(ec);
    if (ec) continue;
    total += size;
    if (e.path().string().ends_with(".db.zst") && e.last_write_time(ec) > newest) {
      newest = e.last_write_time(ec);
      *newest_snapshot = size;
    }
  }
  return total;
}

}  // namespace


std::function<void(std::string_view, Status const&)> Daemon::RetryCounter(
    std::string const& location) {
  return [this, location](std::string_view, Status const&) {
    metrics_.upload_retries_total.Increment({location});
  };
}

void Daemon::RunWithRetries(std::shared_ptr<AgentConfig const> c, std::string name,
                            TimePoint tick, std::shared_ptr<control::RunStatus> record) {
  auto finish = [&](Status const& st, std::uint64_t bytes, int attempts) {
    std::lock_guard lock(control_mu_);
    record->set_state(st.ok() ? "succeeded" : "failed");
    record->set_finished(FormatRfc3339(SystemClock::Instance().Now()));
    record->set_attempts(attempts);
    record->set_bytes(bytes);
    record->set_error(std::string(st.message()));
  };
  auto delay = options_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    auto const started = SystemClock::Instance().Monotonic();
    auto bytes = RunOnce(*c, name, tick);
    Status st = bytes.status();
    double seconds =
        std::chrono::duration<double>(SystemClock::Instance().Monotonic() - started).count();
    auto const labels = RunLabels(*c, name);
    metrics_.run_duration_seconds.Set(labels, seconds);
    if (st.ok()) {
      KB_LOG(agent, info, "run done schedule={} tick={} attempt={} seconds={:.1f}", name,
             FormatRfc3339(tick), attempt, seconds);
      metrics_.run_bytes.Set(labels, static_cast<double>(*bytes));
      metrics_.last_success_timestamp_seconds.Set(labels,
                                                  UnixSeconds(SystemClock::Instance().Now()));
      finish(st, *bytes, attempt);
      return;
    }
    metrics_.run_failures_total.Increment(labels);
    KB_LOG(agent, err, "run failed schedule={} tick={} attempt={} error=\"{}\"", name,
           FormatRfc3339(tick), attempt, st.message());
    if (attempt >= options_.attempts || !IsTransient(st.code()) || WaitForStop(delay)) {
      finish(st, 0, attempt);
      return;
    }
    delay *= 2;
  }
}

std::vector<std::string> Daemon::RunLabels(AgentConfig const& c, std::string const& name) {
  if (name == kSnapshotSchedule) return {name, "snapshot", c.etcd_snapshots->location};
  for (auto const& b : c.resource_backups) {
    if (b.name == name) return {name, "backup", b.location};
  }
  return {name, "", ""};
}

StatusOr<std::uint64_t> Daemon::RunOnce(AgentConfig const& c, std::string const& name,
                                        TimePoint tick) {
  if (name == kSnapshotSchedule) {
    KB_ASSIGN_OR_RETURN(std::uint64_t bytes, Snapshot(c));
    Expire(c, c.etcd_snapshots->location);
    return bytes;
  }
  for (auto const& b : c.resource_backups) {
    if (b.name != name) continue;
    KB_ASSIGN_OR_RETURN(std::uint64_t bytes, Backup(c, b, tick));
    Expire(c, b.location);
    return bytes;
  }
  return InternalError("no schedule " + name);
}

StatusOr<etcd::EtcdConnectOptions> Daemon::EtcdOptions(AgentConfig const& c) {
  EtcdFlags flags;
  flags.endpoints = fmt::format("{}", fmt::join(c.etcd.endpoints, ","));
  flags.cacert = c.etcd.cacert;
  flags.cert = c.etcd.cert;
  flags.key = c.etcd.key;
  flags.user = c.etcd.user;
  flags.dial_timeout_seconds = static_cast<int>(c.etcd.dial_timeout.count());
  return flags.ToOptions();
}

StatusOr<std::uint64_t> Daemon::Snapshot(AgentConfig const& c) {
  auto const& s = *c.etcd_snapshots;
  SnapshotJobOptions o;
  KB_ASSIGN_OR_RETURN(o.etcd, EtcdOptions(c));
  KB_ASSIGN_OR_RETURN(LocationRef loc, ResolveLocation(s.location, &c, uploader::ProcessEnv()));
  o.location = loc.url;
  o.location_options = loc.options;
  o.snapshot_dir = c.snapshot_dir;
  o.keep_local = std::max(1, s.keep_local);
  o.cluster_name = c.cluster;
  o.node_name = c.node;
  if (s.expiry) o.ttl = s.expiry->ApproximateTtl(SystemClock::Instance().Now());
  // Only the cluster's leader uploads; the others keep a local copy (or nothing).
  o.upload = loc.WithUploadSettings(o.upload);
  o.upload.cancel = &cancel_uploads_;
  o.upload.retry.on_retry = RetryCounter(s.location);
  o.upload_enabled = Leads();
  if (!o.upload_enabled && !s.local_copies_on_every_node) {
    metrics_.runs_skipped_total.Increment({kSnapshotSchedule, "not_leader"});
    KB_LOG(agent, info, "snapshot skipped reason=\"not the cluster's leader\"");
    return std::uint64_t{0};
  }
  if (s.max_local_bytes > 0) {
    // Checked before the snapshot starts: the new copy comes before the oldest is pruned.
    std::uint64_t newest = 0;
    std::uint64_t used = DirBytes(o.snapshot_dir, &newest);
    metrics_.snapshot_dir_quota_bytes.Set({}, static_cast<double>(s.max_local_bytes));
    metrics_.snapshot_dir_bytes.Set({}, static_cast<double>(used));
    if (used + newest > s.max_local_bytes) {
      metrics_.runs_skipped_total.Increment({kSnapshotSchedule, "quota"});
      // Not transient: the run is not retried until the next tick.
      return FailedPreconditionError(fmt::format(
          "snapshot dir {} holds {} bytes; with the next snapshot (about {} bytes) it would "
          "exceed etcd_snapshots.max_local_bytes {} of {}: raise it or lower keep_local",
          o.snapshot_dir.string(), used, newest, s.max_local_bytes, c.file));
    }
  }
  KB_ASSIGN_OR_RETURN(auto r, RunSnapshotJob(o, SystemClock::Instance()));
  KB_LOG(agent, info, "snapshot stored name={} location={} bytes={} uploaded={}", r.manifest.name,
         o.upload_enabled ? loc.Describe() : "(local only)", r.manifest.compressed_size,
         o.upload_enabled);
  std::uint64_t newest = 0;
  metrics_.snapshot_dir_bytes.Set({}, static_cast<double>(DirBytes(o.snapshot_dir, &newest)));
  return r.manifest.compressed_size;
}

StatusOr<std::uint64_t> Daemon::Backup(AgentConfig const& c, ResourceBackupScheduleConfig const& b,
                                       TimePoint tick) {
  if (!Leads()) {
    metrics_.runs_skipped_total.Increment({b.name, "not_leader"});
    KB_LOG(agent, info, "backup skipped schedule={} reason=\"not the cluster's leader\"", b.name);
    return std::uint64_t{0};
  }
  BackupJobOptions job;
  kube::ResourceBackupOptions& o = job.backup;
  o.name = b.name + "-" + VeleroStamp(tick);
  o.scope.included_namespaces = b.include_namespaces;
  o.scope.excluded_namespaces = b.exclude_namespaces;
  o.scope.included_resources = b.include_resources;
  o.scope.excluded_resources = b.exclude_resources;
  o.scope.include_cluster_resources = b.include_cluster_resources;
  o.scope.label_selector = b.selector;
  o.ttl = b.expiry.ApproximateTtl(tick);
  job.work_dir = fs::path(c.state_dir) / "staging";
  KB_RETURN_IF_ERROR(EnsureDir(job.work_dir));
  KB_ASSIGN_OR_RETURN(auto access, kube::ResolveClusterAccess(c.kubeconfig, "", kube::ProcessKubeEnv()));
  KB_ASSIGN_OR_RETURN(auto client, kube::ApiClient::Create(std::move(access)));
  KB_ASSIGN_OR_RETURN(LocationRef loc, ResolveLocation(b.location, &c, uploader::ProcessEnv()));
  KB_ASSIGN_OR_RETURN(auto store, loc.Open());
  KB_ASSIGN_OR_RETURN(auto r, RunBackupJob(*client, *store, job, SystemClock::Instance()));
  KB_LOG(agent, info, "backup stored name={} phase={} items={} location={}", o.name, r.phase,
         r.items, loc.Describe());
  return r.tarball_bytes;
}

void Daemon::Expire(AgentConfig const& c, std::string const& location) {
  auto loc = ResolveLocation(location, &c, uploader::ProcessEnv());
  auto store = loc.ok() ? loc->Open() : StatusOr<std::unique_ptr<uploader::ObjectStore>>(loc.status());
  auto r = store.ok() ? ExpireBackups(**store, {.now = SystemClock::Instance().Now(), .dry_run = false})
                      : StatusOr<GcReport>(store.status());
  if (!r.ok()) {
    KB_LOG(agent, warn, "expiry failed location={} error=\"{}\"", location, r.status().message());
  } else if (!r->deleted.empty() || !r->failed.empty()) {
    KB_LOG(agent, info, "expiry done location={} deleted={} failed={}", location,
           r->deleted.size(), r->failed.size());
  }
}

std::vector<std::string> Daemon::UnfinishedUploads(AgentConfig const& c) {
  std::vector<std::string> names;
  if (!c.etcd_snapshots) return names;
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(c.snapshot_dir, ec)) {
    auto name = SnapshotNameOfJournal(e.path().filename().string());
    // Without its manifest the snapshot itself is unfinished: RemoveLeftoverFiles takes it.
    if (name && fs::exists(fs::path(c.snapshot_dir) / etcd::ManifestFileName(*name), ec)) {
      names.push_back(*std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

void Daemon::ResumeUploads(AgentConfig const& c, std::vector<std::string> const& names) {
  auto loc = ResolveLocation(c.etcd_snapshots->location, &c, uploader::ProcessEnv());
  if (!loc.ok()) {
    KB_LOG(agent, warn, "uploads not resumed location={} error=\"{}\"",
           c.etcd_snapshots->location, loc.status().message());
    return;
  }
  uploader::UploadOptions upload = loc->WithUploadSettings({});
  upload.cancel = &cancel_uploads_;
  upload.retry.on_retry = RetryCounter(c.etcd_snapshots->location);
  for (auto const& name : names) {
    if (cancel_uploads_) return;
    KB_LOG(agent, info, "unfinished upload resumes name={}", name);
    auto r = ResumeSnapshotUpload(c.snapshot_dir, name, loc->url, loc->options, upload);
    if (r.ok()) {
      KB_LOG(agent, info, "upload resumed name={} parts_sent={} parts_reused={}", name,
             r->parts_sent, r->parts_reused);
    } else {
      KB_LOG(agent, warn, "upload not resumed name={} error=\"{}\"", name, r.status().message());
    }
  }
}

}  // namespace kb::agent::internal
