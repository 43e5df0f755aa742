#pragma once
// `kbackup agent`: the daemon the systemd unit runs on each control-plane node. It reads the
// config, runs the etcd snapshot schedule and the resource backup schedules (agent/scheduler.h),
// retries a failed run with backoff, expires the location's old backups after each run
// (agent/backup_gc.h), resumes uploads a stop or crash left unfinished, reloads the config on
// SIGHUP (an invalid one keeps the old running) and stops on SIGTERM/SIGINT after the running
// jobs finish. It tells systemd when it is ready and pings its watchdog (sd_notify).
// docs/agent.md describes it.

#include <chrono>
#include <filesystem>

#include "agent/config.h"

namespace kb::agent {

/// How the daemon runs.
struct DaemonOptions {
  /// The config file (re-read on SIGHUP).
  std::filesystem::path config_path = kDefaultConfigPath;
  /// Attempts of one run, the first included, while its schedule's next tick is not due.
  /// Default: 3.
  int attempts = 3;
  /// Delay before the second attempt; doubled for each later one. Default: 30 s.
  std::chrono::seconds retry_delay{30};
  /// How long SIGTERM waits for running jobs before exiting anyway (their uploads resume at the
  /// next start from their journals). Default: 60 s.
  std::chrono::seconds stop_grace{60};
};

/// Runs the daemon until SIGTERM or SIGINT. Returns the process exit code: 0 after a clean
/// stop, 2 when the config cannot be loaded at start (one line names the file, line and field)
/// or its metrics address or control socket cannot be served (one line names it).
int RunDaemon(DaemonOptions const& options);

}  // namespace kb::agent
