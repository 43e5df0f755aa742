// kbackup agent: the daemon (agent/daemon.h).
#include "agent/base/log.h"
#include "agent/cli_common.h"
#include "agent/daemon.h"

namespace kb::agent {

void AddAgentCommand(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* agent = app.add_subcommand(
      "agent", "Run the daemon: the config's schedules, expiry, resumed uploads (systemd unit)");
  auto retry_delay = std::make_shared<int>(30);
  agent->add_option("--retry-delay", *retry_delay,
                    "Seconds before a failed run's second attempt (doubled after)")
      ->capture_default_str();
  agent->callback([&g, &exit_code, retry_delay] {
    SetVerbosity(std::max(1, g.verbose));  // a daemon logs what it does: info by default
    DaemonOptions o;
    if (std::string path = g.ConfigPath(); !path.empty()) o.config_path = path;
    o.retry_delay = std::chrono::seconds(std::max(1, *retry_delay));
    exit_code = RunDaemon(o);
  });
}

}  // namespace kb::agent
