#include "agent/daemon.h"

#include <malloc.h>

#include "agent/internal/daemon_impl.h"

namespace kb::agent {
namespace internal {

LogFormat LogFormatOf(AgentConfig const& c) {
  return c.daemon.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
}

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

void Daemon::Start(DueTick const& due, bool manual) {
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
  KB_LOG(agent, info, "run started schedule={} tick={} manual={}", due.name,
         FormatRfc3339(due.tick), manual);
  auto record = std::make_shared<control::RunStatus>();
  record->set_schedule(due.name);
  record->set_tick(FormatRfc3339(due.tick));
  record->set_state("running");
  record->set_started(FormatRfc3339(SystemClock::Instance().Now()));
  record->set_manual(manual);
  {
    std::lock_guard lock(control_mu_);
    runs_.push_front(record);
    if (runs_.size() > 50) runs_.pop_back();
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_[due.name] = Worker{
      .thread = std::jthread([this, c = config_, name = due.name, tick = due.tick, done, record] {
        RunWithRetries(c, name, tick, record);
        done->store(true);
      }),
      .done = done};
}

void Daemon::StartResumingUploads() {
  auto names = UnfinishedUploads(*config_);
  if (names.empty()) return;
  // On a worker, as the snapshot schedule's run: the loop answers signals and the watchdog
  // meanwhile, and the schedule's next tick waits for the resume (runs never overlap).
  scheduler_->SetRunning(kSnapshotSchedule, true);
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_[kSnapshotSchedule] =
      Worker{.thread = std::jthread([this, c = config_, names = std::move(names), done] {
               ResumeUploads(*c, names);
               done->store(true);
             }),
             .done = done};
}

bool Daemon::WaitForStop(std::chrono::seconds d) {
  std::unique_lock lock(stop_mu_);
  return stop_cv_.wait_for(lock, d, [this] { return stopping_; });
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
  SetLogFormat(LogFormatOf(*config_));
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
  scheduler_ = std::make_unique<Scheduler>(Schedules(*config_), LoadState(*config_), start);
  main_thread_ = pthread_self();
  Publish(start);
  std::unique_ptr<ControlServer> control;
  if (!config_->daemon.control_socket.empty()) {
    auto started = ControlServer::Start(config_->daemon.control_socket, *this);
    if (!started.ok()) {
      PrintError(std::string(started.status().message()));
      return 2;
    }
    control = *std::move(started);
  }
  JoinElection();  // after the sockets: an agent that cannot serve them never campaigns
  if (config_->etcd_snapshots) RemoveLeftoverFiles(config_->snapshot_dir);  // a killed run's
  StartResumingUploads();
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
    StartManualRuns(now);
    Publish(now);
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
  // Running uploads stop at once; their journals keep what the server holds (resumed at start).
  cancel_uploads_ = true;
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

}  // namespace internal

int RunDaemon(DaemonOptions const& options) {
  // Few malloc arenas: the gRPC, HTTP and worker threads would each keep one otherwise, and
  // the agent idles for days (its idle RSS target is 20 MiB, docs/benchmarks.md).
  mallopt(M_ARENA_MAX, 2);
  // The signals are taken synchronously by the loop: blocked before any thread starts, so
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // RunNow wakes the loop
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto config = LoadAgentConfig(options.config_path);
  if (!config.ok()) {
    PrintError(std::string(config.status().message()));
    return 2;
  }
  SetLogFormat(internal::LogFormatOf(*config));
  MetricsRegistry registry;
  auto metrics = AgentMetrics::Register(registry);
  if (!metrics.ok()) {
    PrintError(std::string(metrics.status().message()));
    return 1;
  }
  internal::Daemon daemon(options, *std::move(config), *std::move(metrics));
  return daemon.Run(signals, registry);
}

}  // namespace kb::agent
