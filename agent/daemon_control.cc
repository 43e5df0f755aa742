// The daemon's leader election, health, and local control service (RunNow, Report).
#include "agent/internal/daemon_impl.h"

namespace kb::agent::internal {

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

void Daemon::JoinElection() {
  if (election_) return;
  // Retried with backoff (5 s doubling to 60 s), logged when the error changes: an etcd that is
  // down costs neither CPU nor a log line every loop turn.
  auto const now = SystemClock::Instance().Monotonic();
  if (now < next_join_) return;
  auto options = EtcdOptions(*config_);
  auto client = options.ok() ? etcd::EtcdClient::Connect(*options)
                             : StatusOr<std::unique_ptr<etcd::EtcdClient>>(options.status());
  if (!client.ok()) {
    join_backoff_ = std::min(std::chrono::seconds(60), std::max(std::chrono::seconds(5),
                                                                 join_backoff_ * 2));
    next_join_ = now + join_backoff_;
    std::string why(client.status().message());
    if (why != last_join_error_) {
      KB_LOG(agent, warn, "leader election not joined yet (this agent does not lead) error=\"{}\"",
             why);
      last_join_error_ = why;
    }
    return;
  }
  etcd::LeaderElectionOptions eo;
  eo.cluster = config_->cluster;
  eo.node_name = config_->node;
  eo.ttl = config_->daemon.lease_ttl;
  // Leads() checks the key in etcd right before each run; between runs the keepalive (every
  // TTL/3) proves the lease, so the loop's own check of the key runs once per TTL.
  eo.leader_check_interval = config_->daemon.lease_ttl;
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

void Daemon::Publish(TimePoint now) {
  std::vector<control::ScheduleStatus> out;
  auto const last = scheduler_->LastTicks();
  auto add = [&](std::string const& name, Schedule const& s) {
    control::ScheduleStatus st;
    st.set_name(name);
    st.set_schedule(s.text());
    st.set_time_zone(s.time_zone());
    st.set_running(scheduler_->running(name));
    if (auto it = last.find(name); it != last.end()) st.set_last_tick(FormatRfc3339(it->second));
    auto t = scheduler_->NextTick(name, now);
    for (int i = 0; i < 10 && t; ++i, t = s.Next(*t)) st.add_next(FormatRfc3339(*t));
    out.push_back(std::move(st));
  };
  if (config_->etcd_snapshots) add(kSnapshotSchedule, config_->etcd_snapshots->schedule);
  for (auto const& b : config_->resource_backups) add(b.name, b.schedule);
  std::lock_guard lock(control_mu_);
  published_ = std::move(out);
  published_cluster_ = config_->cluster;
  published_node_ = config_->node;
}

void Daemon::StartManualRuns(TimePoint now) {
  std::vector<std::string> names;
  {
    std::lock_guard lock(control_mu_);
    names.swap(manual_requests_);
  }
  for (auto const& name : names) {
    if (scheduler_->running(name)) {
      KB_LOG(agent, warn, "manual run refused schedule={} reason=\"a run is going\"", name);
      continue;
    }
    KB_LOG(agent, info, "manual run starts schedule={}", name);
    Start(DueTick{.name = name, .tick = now, .catch_up = false, .skipped_busy = false,
                  .missed = 0},
          /*manual=*/true);
  }
}

Status Daemon::RunNow(std::string const& schedule) {
  {
    std::lock_guard lock(control_mu_);
    std::vector<std::string> names;
    control::ScheduleStatus const* found = nullptr;
    for (auto const& s : published_) {
      names.push_back(s.name());
      if (s.name() == schedule) found = &s;
    }
    if (found == nullptr) {
      return NotFoundError(fmt::format("no schedule \"{}\" (schedules: {})", schedule,
                                       fmt::join(names, ", ")));
    }
    if (found->running()) {
      return FailedPreconditionError(fmt::format("a run of {} is going; try when it ended",
                                                 schedule));
    }
    manual_requests_.push_back(schedule);
  }
  pthread_kill(main_thread_, SIGUSR1);  // wakes the loop's sigtimedwait
  return OkStatus();
}

control::StatusResponse Daemon::Report(int next_count) {
  control::StatusResponse r;
  {
    std::lock_guard lock(election_mu_);
    r.set_leader(election_ != nullptr && election_->IsLeader());
  }
  std::lock_guard lock(control_mu_);
  r.set_cluster(published_cluster_);
  r.set_node(published_node_);
  for (auto s : published_) {
    while (s.next_size() > next_count) s.mutable_next()->RemoveLast();
    *r.add_schedules() = std::move(s);
  }
  for (auto const& run : runs_) *r.add_runs() = *run;
  return r;
}

}  // namespace kb::agent::internal
