// kbackup agent, the real process, against real etcd 3.6, MinIO and the kube-apiserver of
// cluster a: it runs its schedules, expires what is past its expiry, keeps at most keep_local
// local copies, keeps running on a SIGHUP with a bad config, stops on SIGTERM, and runs a tick
// missed while it was down once at its next start.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "agent/base/json.h"
#include "tests/support/background_process.h"
#include "tests/support/etcd_env.h"
#include "tests/support/restore_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

std::string Config(TempDir const& dir, MinioLocation const& loc, std::string const& backup_name,
                   std::string const& snapshot_schedule, std::string const& backup_schedule,
                   std::string const& metrics_address = "",
                   std::string const& control_socket = "",
                   std::string const& log_format = "text") {
  EtcdServer etcd = GetEtcdServer("ETCD36");
  std::ostringstream c;
  c << "cluster: agt\nnode: n1\n"
    << "kubeconfig: " << RequireEnv("KB_TEST_KUBE_A_KUBECONFIG") << "\n"
    << "snapshot_dir: " << dir.path() << "/snapshots\nstate_dir: " << dir.path() << "/state\n"
    << "etcd:\n  endpoints: [" << etcd.endpoint << "]\n  cacert: " << etcd.cacert
    << "\n  cert: " << etcd.cert << "\n  key: " << etcd.key << "\n"
    << "locations:\n  minio:\n    url: \"" << loc.url << "\"\n"
    << "    credentials: {access_key_id_env: KB_T_KEY, secret_access_key_env: KB_T_SECRET}\n"
    << "etcd_snapshots:\n  schedule: \"" << snapshot_schedule << "\"\n  keep_local: 2\n"
    << "  expiry: 6s\n  location: minio\n"
    << "resource_backups:\n- name: " << backup_name << "\n  schedule: \"" << backup_schedule
    << "\"\n  location: minio\n  expiry: 6s\n  include_namespaces: [monitoring]\n"
    << "agent:\n  metrics_address: \"" << metrics_address << "\"\n"
    << "  control_socket: \"" << control_socket << "\"\n"
    << "  log_format: " << log_format << "\n";
  std::string const file = dir.path() + "/config.yaml";
  std::ofstream(file) << c.str();
  return file;
}

std::vector<std::string> Env() {
  return {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
          "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
}

/// Names of the etcd snapshots (manifests) and Velero backups (records) in the location.
std::set<std::string> Backups(MinioLocation const& loc) {
  std::set<std::string> out;
  static std::regex const snapshot(R"(plugins/kbackup/etcd/(.*)\.manifest\.json)");
  static std::regex const backup(R"(backups/([^/]*)/velero-backup\.json)");
  for (auto const& k : loc.Keys()) {
    std::smatch m;
    if (std::regex_match(k, m, snapshot) || std::regex_match(k, m, backup)) out.insert(m[1]);
  }
  return out;
}

int LocalSnapshots(TempDir const& dir) {
  int n = 0;
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(dir.path() + "/snapshots", ec)) {
    if (e.path().string().ends_with(".manifest.json")) ++n;
  }
  return n;
}

TEST(AgentDaemon, RunsSchedulesExpiresReloadsAndStops) {
  TempDir dir;
  MinioLocation loc("agent");
  std::string const name = "agt" + std::to_string(::getpid());
  std::string const metrics = "127.0.0.1:" + std::to_string(FreePort());
  std::string const file = Config(dir, loc, name, "@every 4s", "@every 5s", metrics);
  BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file, "--retry-delay", "1"},
                          Env(), dir.path() + "/agent.log");
  // Over ~25 s: several snapshots and backups come and go (6 s expiry).
  std::set<std::string> seen;
  std::set<std::string> first_seen;
  bool expired = WaitUntil(std::chrono::seconds(60), [&] {
    auto now = Backups(loc);
    if (first_seen.empty()) first_seen = now;
    seen.insert(now.begin(), now.end());
    int snapshots = 0, backups = 0;
    for (auto const& s : seen) (s.starts_with("agt-etcd-n1-") ? snapshots : backups)++;
    bool first_gone = !first_seen.empty() &&
                      std::none_of(first_seen.begin(), first_seen.end(),
                                   [&](std::string const& s) { return now.contains(s); });
    return snapshots >= 4 && backups >= 3 && first_gone;
  });
  EXPECT_TRUE(expired) << "seen: " << seen.size() << "\n" << agent.Log();
  EXPECT_TRUE(agent.running());
  EXPECT_LE(LocalSnapshots(dir), 2) << "keep_local 2";
  for (auto const& s : seen) {
    if (s.starts_with(name)) {
      EXPECT_TRUE(std::regex_match(s, std::regex(name + "-[0-9]{14}"))) << s;
    }
  }
  // Expired ones are gone: nothing in the location is older than the expiry plus one period.
  EXPECT_LE(Backups(loc).size(), 6u) << agent.Log();

  // Prometheus metrics and /healthz, over real HTTP.
  auto scrape = RunCommand({"curl", "-sS", "--fail", "http://" + metrics + "/metrics"});
  ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  for (std::string want : std::vector<std::string>{
           "kbackup_last_success_timestamp_seconds{schedule=\"etcd-snapshots\",kind=\"snapshot\","
        "location=\"minio\"}",
        "kbackup_last_success_timestamp_seconds{schedule=\"" + name + "\",kind=\"backup\"",
        "kbackup_run_bytes{schedule=\"etcd-snapshots\"", "kbackup_leader{cluster=\"agt\"} 1",
        "# TYPE kbackup_snapshot_dir_bytes gauge"}) {
    EXPECT_NE(scrape.out.find(want), std::string::npos) << want << "\n" << scrape.out;
  }
  auto health = RunCommand({"curl", "-sS", "--fail", "http://" + metrics + "/healthz"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "ok");

  // A SIGHUP with a bad config: logged, the old config keeps running.
  std::ofstream(file) << "cluster: agt\nlocatons: {}\n";
  agent.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(10), [&] {
    return agent.Log().find("config not reloaded") != std::string::npos;
  })) << agent.Log();
  EXPECT_NE(agent.Log().find("locatons: unknown key"), std::string::npos);
  auto before = Backups(loc);
  EXPECT_TRUE(WaitUntil(std::chrono::seconds(20), [&] {
    auto now = Backups(loc);
    return std::any_of(now.begin(), now.end(), [&](auto const& s) { return !before.contains(s); });
  })) << "runs go on after the failed reload\n" << agent.Log();
  EXPECT_TRUE(agent.running());

  agent.Signal(SIGTERM);
  auto code = agent.Wait(std::chrono::seconds(90));
  ASSERT_TRUE(code.has_value()) << agent.Log();
  EXPECT_EQ(*code, 0) << agent.Log();
  EXPECT_NE(agent.Log().find("agent stopped"), std::string::npos) << agent.Log();
  // No half-written file is left in the snapshot dir.
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(dir.path() + "/snapshots", ec)) {
    EXPECT_FALSE(e.path().string().ends_with(".part")) << e.path();
  }
}

TEST(AgentDaemon, AMissedTickRunsOnceAtStart) {
  TempDir dir;
  MinioLocation loc("agent-missed");
  std::string const name = "agm" + std::to_string(::getpid());
  // Hourly schedules whose last handled tick was two days ago: the node was down.
  std::string const file = Config(dir, loc, name, "0 * * * *", "0 * * * *", "", "", "json");
  fs::create_directories(dir.path() + "/state");
  std::ofstream(dir.path() + "/state/agent-state.json")
      << R"({"etcd-snapshots":"2020-01-01T00:00:00Z",")" << name << R"(":"2020-01-01T00:00:00Z"})";
  BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                          dir.path() + "/agent.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] { return Backups(loc).size() >= 2; }))
      << agent.Log();
  // Only one run per schedule, not one per missed hour.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Backups(loc).size(), 2u) << agent.Log();
  EXPECT_NE(agent.Log().find("missed tick runs now schedule=etcd-snapshots"), std::string::npos);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(90)), std::optional<int>(0)) << agent.Log();
  // agent.log_format json: every line is one JSON object, its pairs as members.
  std::istringstream lines(agent.Log());
  int missed = 0, parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto v = ParseJson(line, "log line");
    ASSERT_TRUE(v.ok() && v->is_object()) << line;
    auto const& o = v->as_object();
    EXPECT_FALSE(JsonString(o, "time").empty()) << line;
    EXPECT_FALSE(JsonString(o, "level").empty()) << line;
    EXPECT_FALSE(JsonString(o, "msg").empty()) << line;
    ++parsed;
    if (JsonString(o, "event") == "missed tick runs now" &&
        JsonString(o, "schedule") == "etcd-snapshots" && JsonString(o, "logger") == "agent") {
      ++missed;
    }
  }
  EXPECT_GE(parsed, 4);
  EXPECT_EQ(missed, 1) << agent.Log();
  // The handled tick is persisted: a restart does not run it again.
  std::ifstream in(dir.path() + "/state/agent-state.json");
  std::string state((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(state.find("2020-01-01"), std::string::npos) << state;
  EXPECT_NE(state.find("etcd-snapshots"), std::string::npos) << state;
}

TEST(AgentDaemon, ControlSocketListsSchedulesAndRunsOneNow) {
  TempDir dir;
  MinioLocation loc("agent-control");
  std::string const name = "agc" + std::to_string(::getpid());
  std::string const socket = dir.path() + "/run/agent.sock";
  std::string const file = Config(dir, loc, name, "0 * * * *", "@daily", "", socket);
  BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                          dir.path() + "/agent.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(30), [&] { return fs::exists(socket); }))
      << agent.Log();
  EXPECT_EQ(fs::status(socket).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write) << "root only";
  EXPECT_EQ(fs::status(dir.path() + "/run").permissions() & fs::perms::all, fs::perms::owner_all);

  auto list = RunKbackup({"--config", file, "-o", "json", "schedule", "list", "--next", "2"});
  ASSERT_EQ(list.exit_code, 0) << list.err << agent.Log();
  json::object s = json::parse(list.out).as_object();
  EXPECT_EQ(JsonString(s, "cluster"), "agt");
  ASSERT_EQ(s.at("schedules").as_array().size(), 2u) << list.out;
  for (auto const& sc : s.at("schedules").as_array()) {
    auto const& next = sc.as_object().at("next").as_array();
    ASSERT_EQ(next.size(), 2u) << list.out;
    if (JsonString(sc.as_object(), "name") == "etcd-snapshots") {
      EXPECT_TRUE(std::string(next[0].as_string()).ends_with(":00:00Z")) << list.out;
    }
  }
  EXPECT_TRUE(s.at("runs").as_array().empty());

  // A second agent with the same socket is refused and leaves the first one's socket alone.
  BackgroundProcess second({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                           dir.path() + "/agent2.log");
  EXPECT_EQ(second.Wait(std::chrono::seconds(30)), std::optional<int>(2)) << second.Log();
  EXPECT_NE(second.Log().find("another kbackup agent is running and serving it"),
            std::string::npos)
      << second.Log();
  EXPECT_TRUE(fs::exists(socket));
  EXPECT_EQ(RunKbackup({"--config", file, "schedule", "list"}).exit_code, 0) << agent.Log();

  // Run the backup schedule now: it is taken at once, not at midnight.
  auto run = RunKbackup({"--config", file, "schedule", "run", name});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] {
    auto l = RunKbackup({"--config", file, "-o", "json", "schedule", "list"});
    if (l.exit_code != 0) return false;
    auto runs = json::parse(l.out).as_object().at("runs").as_array();
    return !runs.empty() && JsonString(runs[0].as_object(), "state") == "succeeded";
  })) << agent.Log();
  EXPECT_EQ(Backups(loc).size(), 1u) << agent.Log();
  auto after = json::parse(RunKbackup({"--config", file, "-o", "json", "schedule", "list"}).out);
  auto const& r = after.as_object().at("runs").as_array().at(0).as_object();
  EXPECT_EQ(JsonString(r, "schedule"), name);
  EXPECT_TRUE(r.at("manual").as_bool());
  EXPECT_GT(JsonInt(r, "bytes"), 0);

  auto unknown = RunKbackup({"--config", file, "schedule", "run", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no schedule \"nope\" (schedules: "), std::string::npos) << unknown.err;

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(90)), std::optional<int>(0)) << agent.Log();
  EXPECT_FALSE(fs::exists(socket)) << "the socket goes with the agent";
  auto gone = RunKbackup({"--config", file, "schedule", "list"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("no kbackup agent answers on " + socket), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace kb::testing
