// kbackup schedule list | run NAME: the running agent's schedules, through its control socket.
#include <fmt/format.h>

#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/control_service.h"
#include "agent/output.h"

namespace kb::agent {
namespace {

/// The control socket: the config's agent.control_socket.
StatusOr<std::string> SocketPath(GlobalFlags const& g) {
  KB_ASSIGN_OR_RETURN(AgentConfig const* c, g.Config());
  if (c == nullptr) return std::string(DaemonConfig{}.control_socket);
  if (c->daemon.control_socket.empty()) {
    return FailedPreconditionError(
        fmt::format("{}: agent.control_socket is empty: the agent has no control socket", c->file));
  }
  return c->daemon.control_socket;
}

int RunList(GlobalFlags const& g, int next) {
  auto path = SocketPath(g);
  if (!path.ok()) return Fail(path.status(), true);
  auto s = AgentStatus(*path, next);
  if (!s.ok()) return Fail(s.status(), false);
  if (g.format() == OutputFormat::kJson) {
    json::array schedules, runs;
    for (auto const& sc : s->schedules()) {
      json::array nexts;
      for (auto const& n : sc.next()) nexts.emplace_back(n);
      schedules.push_back(json::object{{"name", sc.name()}, {"schedule", sc.schedule()},
                                       {"time_zone", sc.time_zone()}, {"next", nexts},
                                       {"running", sc.running()}, {"last_tick", sc.last_tick()}});
    }
    for (auto const& r : s->runs()) {
      runs.push_back(json::object{{"schedule", r.schedule()}, {"tick", r.tick()},
                                  {"state", r.state()}, {"started", r.started()},
                                  {"finished", r.finished()}, {"attempts", r.attempts()},
                                  {"bytes", r.bytes()}, {"error", r.error()},
                                  {"manual", r.manual()}});
    }
    PrintJson(json::object{{"cluster", s->cluster()}, {"node", s->node()},
                           {"leader", s->leader()}, {"schedules", schedules}, {"runs", runs}});
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto const& sc : s->schedules()) {
    std::string next = sc.next().empty() ? "never" : sc.next(0);
    rows.push_back({sc.name(), sc.schedule(), next, sc.running() ? "running" : "",
                    sc.last_tick()});
  }
  PrintTable({"SCHEDULE", "WHEN", "NEXT", "STATE", "LAST TICK"}, rows);
  fmt::print("\ncluster {} node {} {}\n", s->cluster(), s->node(),
             s->leader() ? "(leader: uploads)" : "(not the leader)");
  std::vector<std::vector<std::string>> run_rows;
  for (auto const& r : s->runs()) {
    run_rows.push_back({r.schedule(), r.started(), r.state(), std::to_string(r.attempts()),
                        std::to_string(r.bytes()), r.error()});
  }
  if (!run_rows.empty()) {
    fmt::print("\n");
    PrintTable({"RUN OF", "STARTED", "STATE", "ATTEMPTS", "BYTES", "ERROR"}, run_rows);
  }
  return kExitOk;
}

int RunNow(GlobalFlags const& g, std::string const& name) {
  auto path = SocketPath(g);
  if (!path.ok()) return Fail(path.status(), true);
  Status st = AgentRunNow(*path, name);
  if (!st.ok()) return Fail(st, st.code() == StatusCode::kNotFound);
  if (g.format() == OutputFormat::kJson) {
    PrintJson(json::object{{"schedule", name}, {"started", true}});
  } else {
    fmt::print("{}: run started (kbackup schedule list shows it)\n", name);
  }
  return kExitOk;
}

}  // namespace

void AddScheduleCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* schedule = app.add_subcommand(
      "schedule", "The running agent's schedules (through its control socket; root only)");
  schedule->require_subcommand(1);
  auto next = std::make_shared<int>(3);
  auto* list = schedule->add_subcommand("list", "Schedules, their next times and recent runs");
  list->add_option("--next", *next, "Next times shown per schedule (1..10)")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  list->callback([&g, &exit_code, next] { exit_code = RunList(g, *next); });
  auto name = std::make_shared<std::string>();
  auto* run = schedule->add_subcommand("run", "Run a schedule now (one run at a time)");
  run->add_option("NAME", *name, "etcd-snapshots or a resource backup schedule's name")
      ->required();
  run->callback([&g, &exit_code, name] { exit_code = RunNow(g, *name); });
}

}  // namespace kb::agent
