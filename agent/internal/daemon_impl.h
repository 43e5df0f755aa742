#pragma once
// The daemon's state (agent/daemon.h runs it), private to agent/: its loop and signals
// (daemon.cc), its runs (daemon_runs.cc), its leader election and control service
// (daemon_control.cc).

#include <signal.h>
#include <systemd/sd-daemon.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <pthread.h>
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
#include "agent/control_service.h"
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
#include "agent/daemon.h"

namespace kb::agent::internal {

using TimePoint = std::chrono::system_clock::time_point;
namespace fs = std::filesystem;

/// The etcd snapshot schedule's name in the scheduler, the state file and the logs.
inline constexpr char kSnapshotSchedule[] = "etcd-snapshots";

/// The log line format the config's agent.log_format names.
LogFormat LogFormatOf(AgentConfig const& c);

/// One agent: its config, schedules, runs, leader election and control service.
class Daemon final : public ControlTarget {
 public:
  Daemon(DaemonOptions options, AgentConfig config, AgentMetrics metrics)
      : options_(std::move(options)),
        config_(std::make_shared<AgentConfig const>(std::move(config))),
        metrics_(std::move(metrics)) {}

  int Run(sigset_t const& signals, MetricsRegistry const& registry);

  // ControlTarget (gRPC threads).
  Status RunNow(std::string const& schedule) override;
  control::StatusResponse Report(int next_count) override;

 private:
  std::map<std::string, Schedule> Schedules(AgentConfig const& c) const;
  std::map<std::string, TimePoint> LoadState(AgentConfig const& c) const;
  void SaveState();
  void Start(DueTick const& due, bool manual = false);
  void RunWithRetries(std::shared_ptr<AgentConfig const> c, std::string name, TimePoint tick,
                      std::shared_ptr<control::RunStatus> record);
  /// Publishes the schedules' state for Report() (main loop).
  void Publish(TimePoint now);
  /// Starts the runs RunNow asked for (main loop).
  void StartManualRuns(TimePoint now);
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
  /// A RetryPolicy::on_retry that counts kbackup_upload_retries_total{location}.
  std::function<void(std::string_view, Status const&)> RetryCounter(std::string const& location);
  /// Names of the snapshots whose upload a stop or crash left unfinished: a journal and a
  /// manifest in the snapshot dir. Sorted.
  static std::vector<std::string> UnfinishedUploads(AgentConfig const& c);
  /// Resumes the uploads of `names`, one after another; stops early on shutdown (worker).
  void ResumeUploads(AgentConfig const& c, std::vector<std::string> const& names);
  /// Runs ResumeUploads on a worker as the snapshot schedule's run (main loop, at start).
  void StartResumingUploads();
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
  // Control service state, behind control_mu_.
  std::mutex control_mu_;
  std::vector<control::ScheduleStatus> published_;
  std::string published_cluster_, published_node_;
  std::vector<std::string> manual_requests_;
  std::deque<std::shared_ptr<control::RunStatus>> runs_;  // newest first, at most 50
  pthread_t main_thread_ = pthread_self();
  std::unique_ptr<etcd::EtcdClient> election_client_;
  std::unique_ptr<etcd::LeaderElection> election_;
  std::mutex election_mu_;  // StillLeader() from worker threads
  // JoinElection's retries (main loop only).
  std::chrono::steady_clock::time_point next_join_{};
  std::chrono::seconds join_backoff_{0};
  std::string last_join_error_;
  std::atomic<std::int64_t> loop_alive_{0};  // Monotonic() of the last loop turn, in seconds
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  /// Set at shutdown: uploads stop sending (uploader::UploadOptions::cancel).
  std::atomic<bool> cancel_uploads_{false};
};

}  // namespace kb::agent::internal
