#include "agent/daemon.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/ranges.h>

#include "agent/backup_gc.h"
#include "agent/backup_job.h"
#include "agent/base/clock.h"
#include "agent/base/file_util.h"
#include "agent/base/log.h"
#include "agent/cli_common.h"
#include "agent/location_ref.h"
#include "agent/metrics.h"
#include "agent/metrics_server.h"
#include "agent/scheduler.h"
#include "agent/snapshot_job.h"
#include "etcd/etcd_client.h"
#include "etcd/leader_election.h"
#include "etcd/snapshot_manifest.h"
#include "kube/api_client.h"
#include "kube/kubeconfig.h"

namespace kb::agent {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
namespace fs = std::filesystem;

/// The etcd snapshot schedule's name in the scheduler, the state file and the logs.
constexpr char kSnapshotSchedule[] = "etcd-snapshots";

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

class Daemon {
 public:
  Daemon(DaemonOptions options, AgentConfig config, AgentMetrics metrics)
      : options_(std::move(options)),
        config_(std::make_shared<AgentConfig const>(std::move(config))),
        metrics_(std::move(metrics)) {}

  int Run(sigset_t const& signals, MetricsRegistry const& registry);

 private:
  std::map<std::string, Schedule> Schedules(AgentConfig const& c) const;
  std::map<std::string, TimePoint> LoadState(AgentConfig const& c) const;
  void SaveState();
  void Start(DueTick const& due);
  void RunWithRetries(std::shared_ptr<AgentConfig const> c, std::string name, TimePoint tick);
  /// One run; returns the bytes it stored.
  StatusOr<std::uint64_t> RunOnce(AgentConfig const& c, std::string const& name, TimePoint tick);
  StatusOr<std::uint64_t> Snapshot(AgentConfig const& c);
  StatusOr<std::uint64_t> Backup(AgentConfig const& c, ResourceBackupScheduleConfig const& b,
                                 TimePoint tick);
  /// {schedule, kind, location} of a schedule, for the metrics.
  static std::vector<std::string> RunLabels(AgentConfig const& c, std::string const& name);
  Status Health() const;
  /// etcd connection options from the config (kubeadm's TLS files by default).
  static StatusOr<etcd::EtcdConnectOptions> EtcdOptions(AgentConfig const& c);
  /// Joins the cluster's leader election (connects to etcd); retried each loop turn until it
  /// works. Without it this agent is never the leader.
  void JoinElection();
  /// True when this agent may do the cluster's leader-only work now (checked in etcd).
  bool Leads();
  void Expire(AgentConfig const& c, std::string const& location);
  void ResumeUploads(AgentConfig const& c);
  void Reload();
  void Reap();
  bool WaitForStop(std::chrono::seconds d);

  DaemonOptions options_;
  std::shared_ptr<AgentConfig const> config_;
  std::unique_ptr<Scheduler> scheduler_;
  struct Worker {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::map<std::string, Worker> workers_;
  AgentMetrics metrics_;
  std::unique_ptr<etcd::EtcdClient> election_client_;
  std::unique_ptr<etcd::LeaderElection> election_;
  std::mutex election_mu_;  // StillLeader() from worker threads
  std::atomic<std::int64_t> loop_alive_{0};  // Monotonic() of the last loop turn, in seconds
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

std::map<std::string, Schedule> Daemon::Schedules(AgentConfig const& c) const {
  std::map<std::string, Schedule> out;
  if (c.etcd_snapshots) out.emplace(kSnapshotSchedule, c.etcd_snapshots->schedule);
  for (auto const& b : c.resource_backups) out.emplace(b.name, b.schedule);
  return out;
}

std::map<std::string, TimePoint> Daemon::LoadState(AgentConfig const& c) const {
  fs::path const path = fs::path(c.state_dir) / "agent-state.json";
  auto text = ReadFileToString(path);
  if (!text.ok()) return {};  // first start: the schedules wait for their next tick
  auto ticks = Scheduler::FromJson(*text, path.string());
  if (!ticks.ok()) {
    KB_LOG(agent, warn, "agent state ignored error=\"{}\"", ticks.status().message());
    return {};
  }
  return *ticks;
}

void Daemon::SaveState() {
  fs::path const dir = config_->state_dir;
  Status st = EnsureDir(dir);
  if (st.ok()) st = WriteFileAtomically(dir / "agent-state.json", Scheduler::ToJson(scheduler_->LastTicks()));
  if (!st.ok()) KB_LOG(agent, warn, "agent state not saved error=\"{}\"", st.message());
}

void Daemon::Start(DueTick const& due) {
  if (due.skipped_busy) {
    KB_LOG(agent, warn,
           "tick skipped schedule={} tick={} reason=\"the previous run is still going\"",
           due.name, FormatRfc3339(due.tick));
    metrics_.runs_skipped_total.Increment({due.name, "still_running"});
    return;
  }
  if (due.catch_up || due.missed > 0) {
    KB_LOG(agent, info, "missed tick runs now schedule={} tick={} dropped_ticks={}", due.name,
           FormatRfc3339(due.tick), due.missed);
  }
  scheduler_->SetRunning(due.name, true);
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_[due.name] = Worker{
      .thread = std::jthread([this, c = config_, name = due.name, tick = due.tick, done] {
        RunWithRetries(c, name, tick);
        done->store(true);
      }),
      .done = done};
}

void Daemon::RunWithRetries(std::shared_ptr<AgentConfig const> c, std::string name,
                            TimePoint tick) {
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
      return;
    }
    metrics_.run_failures_total.Increment(labels);
    KB_LOG(agent, err, "run failed schedule={} tick={} attempt={} error=\"{}\"", name,
           FormatRfc3339(tick), attempt, st.message());
    if (attempt >= options_.attempts || !IsTransient(st.code()) || WaitForStop(delay)) return;
    delay *= 2;
  }
}

bool Daemon::WaitForStop(std::chrono::seconds d) {
  std::unique_lock lock(stop_mu_);
  return stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

std::vector<std::string> Daemon::RunLabels(AgentConfig const& c, std::string const& name) {
  if (name == kSnapshotSchedule) return {name, "snapshot", c.etcd_snapshots->location};
  for (auto const& b : c.resource_backups) {
    if (b.name == name) return {name, "backup", b.location};
  }
  return {name, "", ""};
}

Status Daemon::Health() const {
  // The loop turns at least every 5 s (or a third of the watchdog interval).
  auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                       SystemClock::Instance().Monotonic().time_since_epoch()).count();
  if (now - loop_alive_.load() > 30) {
    return UnavailableError(fmt::format("the agent's loop has not turned for {} s",
                                        now - loop_alive_.load()));
  }
  return OkStatus();
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

void Daemon::JoinElection() {
  if (election_) return;
  auto options = EtcdOptions(*config_);
  auto client = options.ok() ? etcd::EtcdClient::Connect(*options)
                             : StatusOr<std::unique_ptr<etcd::EtcdClient>>(options.status());
  if (!client.ok()) {
    KB_LOG(agent, warn, "leader election not joined yet error=\"{}\"", client.status().message());
    return;
  }
  etcd::LeaderElectionOptions eo;
  eo.cluster = config_->cluster;
  eo.node_name = config_->node;
  eo.ttl = config_->daemon.lease_ttl;
  std::string const cluster = config_->cluster;
  eo.on_change = [this, cluster](etcd::LeadershipChange const& change) {
    metrics_.leader.Set({cluster}, change.leader ? 1 : 0);
    if (change.leader) {
      KB_LOG(agent, info, "leader now cluster={}", cluster);
    } else {
      KB_LOG(agent, warn, "leadership lost cluster={} reason=\"{}\"", cluster,
             change.reason.message());
    }
  };
  auto election = etcd::LeaderElection::Create(**client, eo);
  if (!election.ok()) {
    KB_LOG(agent, err, "leader election refused error=\"{}\"", election.status().message());
    return;
  }
  std::lock_guard lock(election_mu_);
  election_client_ = *std::move(client);
  election_ = *std::move(election);
  metrics_.leader.Set({cluster}, 0);
  // One campaign now, so that a tick due at start (a missed one) knows who leads.
  if (auto won = election_->Campaign(); !won.ok()) {
    KB_LOG(agent, warn, "first campaign failed error=\"{}\"", won.status().message());
  }
  election_->Start();
  KB_LOG(agent, info, "leader election joined key={} ttl={}", election_->key(),
         FormatGoDuration(config_->daemon.lease_ttl));
}

bool Daemon::Leads() {
  std::lock_guard lock(election_mu_);
  return election_ != nullptr && election_->IsLeader() && election_->StillLeader();
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
      return ResourceExhaustedError(fmt::format(
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

void Daemon::ResumeUploads(AgentConfig const& c) {
  if (!c.etcd_snapshots) return;
  auto loc = ResolveLocation(c.etcd_snapshots->location, &c, uploader::ProcessEnv());
  if (!loc.ok()) return;
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(c.snapshot_dir, ec)) {
    std::string file = e.path().filename().string();  // ".<name>.upload.json"
    if (!file.starts_with(".") || !file.ends_with(".upload.json")) continue;
    std::string name = file.substr(1, file.size() - 1 - std::string(".upload.json").size());
    if (!fs::exists(fs::path(c.snapshot_dir) / etcd::ManifestFileName(name), ec)) continue;
    KB_LOG(agent, info, "unfinished upload resumes name={}", name);
    auto r = ResumeSnapshotUpload(c.snapshot_dir, name, loc->url, loc->options, {});
    if (r.ok()) {
      KB_LOG(agent, info, "upload resumed name={} parts_sent={} parts_reused={}", name,
             r->parts_sent, r->parts_reused);
    } else {
      KB_LOG(agent, warn, "upload not resumed name={} error=\"{}\"", name, r.status().message());
    }
  }
}

void Daemon::Reload() {
  auto c = LoadAgentConfig(options_.config_path);
  if (!c.ok()) {
    KB_LOG(agent, err, "config not reloaded, the running one is kept error=\"{}\"",
           c.status().message());
    sd_notify(0, "STATUS=config reload failed; running the previous config");
    return;
  }
  Reap();
  auto ticks = scheduler_->LastTicks();
  config_ = std::make_shared<AgentConfig const>(*std::move(c));
  auto const now = SystemClock::Instance().Now();
  scheduler_ = std::make_unique<Scheduler>(Schedules(*config_), ticks, now);
  for (auto const& [name, w] : workers_) scheduler_->SetRunning(name, true);
  KB_LOG(agent, info, "config reloaded file={} schedules={}", options_.config_path.string(),
         fmt::join(scheduler_->Names(), ","));
  sd_notify(0, "STATUS=running (config reloaded)");
}

void Daemon::Reap() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->second.done->load()) {
      ++it;
      continue;
    }
    it->second.thread.join();
    scheduler_->SetRunning(it->first, false);
    it = workers_.erase(it);
  }
}

int Daemon::Run(sigset_t const& signals, MetricsRegistry const& registry) {
  auto const start = SystemClock::Instance().Now();
  auto mark_alive = [this] {
    loop_alive_ = std::chrono::duration_cast<std::chrono::seconds>(
                      SystemClock::Instance().Monotonic().time_since_epoch()).count();
  };
  mark_alive();
  std::unique_ptr<MetricsServer> server;
  if (!config_->daemon.metrics_address.empty()) {
    MetricsServerOptions mo;
    mo.address = config_->daemon.metrics_address;
    server = std::make_unique<MetricsServer>(mo, registry, [this] { return Health(); });
    if (Status st = server->Start(); !st.ok()) {
      PrintError(std::string(st.message()));
      return 2;
    }
    KB_LOG(agent, info, "metrics served address={}", server->bound_address());
  }
  JoinElection();
  scheduler_ = std::make_unique<Scheduler>(Schedules(*config_), LoadState(*config_), start);
  ResumeUploads(*config_);
  std::uint64_t watchdog_usec = 0;
  bool const watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  KB_LOG(agent, info, "agent started config={} cluster={} node={} schedules={}",
         options_.config_path.string(), config_->cluster, config_->node,
         fmt::join(scheduler_->Names(), ","));
  sd_notify(0, "READY=1\nSTATUS=running");
  for (;;) {
    mark_alive();
    JoinElection();  // no-op once joined
    Reap();
    auto const now = SystemClock::Instance().Now();
    auto due = scheduler_->Poll(now);
    for (auto const& d : due) Start(d);
    if (!due.empty()) SaveState();
    // Sleep until the next tick, at most 5 s (to reap finished runs), or a third of the
    // watchdog interval; a signal wakes it at once.
    auto sleep = std::chrono::milliseconds(5000);
    if (auto wake = scheduler_->NextWake(now)) {
      sleep = std::min(sleep, std::chrono::duration_cast<std::chrono::milliseconds>(*wake - now) +
                                  std::chrono::milliseconds(1));
    }
    if (watchdog) sleep = std::min(sleep, std::chrono::milliseconds(watchdog_usec / 3000));
    sleep = std::max(sleep, std::chrono::milliseconds(1));
    timespec ts{.tv_sec = sleep.count() / 1000, .tv_nsec = (sleep.count() % 1000) * 1'000'000};
    int sig = sigtimedwait(&signals, nullptr, &ts);
    if (watchdog) sd_notify(0, "WATCHDOG=1");
    if (sig == SIGHUP) Reload();
    if (sig == SIGTERM || sig == SIGINT) break;
  }
  KB_LOG(agent, info, "agent stopping running={}", workers_.size());
  sd_notify(0, "STOPPING=1");
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  auto const deadline = SystemClock::Instance().Monotonic() + options_.stop_grace;
  while (!workers_.empty() && SystemClock::Instance().Monotonic() < deadline) {
    Reap();
    SystemClock::Instance().SleepFor(std::chrono::milliseconds(100));
  }
  SaveState();
  {
    std::lock_guard lock(election_mu_);
    if (election_) IgnoreError(election_->Resign());  // hand over at once, not after the TTL
  }
  if (!workers_.empty()) {
    KB_LOG(agent, warn, "agent stopped with unfinished runs={}: their uploads resume at start",
           workers_.size());
    spdlog::shutdown();
    std::_Exit(0);  // the runs' threads cannot be joined in time; their journals are on disk
  }
  KB_LOG(agent, info, "agent stopped");
  return 0;
}

}  // namespace

int RunDaemon(DaemonOptions const& options) {
  // The signals are taken synchronously by the loop: blocked before any thread starts, so
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto config = LoadAgentConfig(options.config_path);
  if (!config.ok()) {
    PrintError(std::string(config.status().message()));
    return 2;
  }
  MetricsRegistry registry;
  auto metrics = AgentMetrics::Register(registry);
  if (!metrics.ok()) {
    PrintError(std::string(metrics.status().message()));
    return 1;
  }
  Daemon daemon(options, *std::move(config), *std::move(metrics));
  return daemon.Run(signals, registry);
}

}  // namespace kb::agent
