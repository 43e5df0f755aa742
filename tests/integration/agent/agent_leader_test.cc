// Three kbackup agents (real processes), one per member of a real 3-member etcd cluster, with
// the same etcd snapshot schedule: exactly one uploads per tick (the leader; the others keep
// local copies), and after SIGKILL of the leader another one takes over and the ticks still
// upload once each.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <filesystem>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "tests/support/background_process.h"
#include "tests/support/test_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

std::vector<std::string> SplitForTest(std::string const& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

struct Upload {
  std::string node;
  std::chrono::system_clock::time_point created;
};

/// The uploaded snapshots (manifests) of the location, oldest first.
std::vector<Upload> Uploads(MinioLocation const& loc) {
  std::vector<Upload> out;
  static std::regex const manifest(R"(plugins/kbackup/etcd/(ldr-etcd-(n[0-9])-.*)\.manifest\.json)");
  for (auto const& k : loc.Keys("plugins/kbackup/etcd/")) {
    std::smatch m;
    if (!std::regex_match(k, m, manifest)) continue;
    json::object o = json::parse(loc.Read(k)).as_object();
    Upload u{.node = m[2], .created = {}};
    EXPECT_TRUE(ParseRfc3339(JsonString(o, "created_at"), u.created));
    out.push_back(u);
  }
  std::sort(out.begin(), out.end(),
            [](Upload const& a, Upload const& b) { return a.created < b.created; });
  return out;
}

/// Uploads closer than 2 s to the one before: two agents uploading in one tick (every 4 s).
int Doubles(std::vector<Upload> const& uploads) {
  int n = 0;
  for (std::size_t i = 1; i < uploads.size(); ++i) {
    if (uploads[i].created - uploads[i - 1].created < std::chrono::seconds(2)) ++n;
  }
  return n;
}

TEST(AgentLeader, OneUploadPerTickAndTakeoverAfterTheLeaderIsKilled) {
  auto const endpoints = SplitForTest(RequireEnv("KB_TEST_ETCD_CLUSTER_ENDPOINTS"), ',');
  ASSERT_EQ(endpoints.size(), 3u);
  MinioLocation loc("agent-leader");
  TempDir dir;
  std::vector<std::unique_ptr<BackgroundProcess>> agents;
  for (int i = 0; i < 3; ++i) {
    std::string const node = "n" + std::to_string(i + 1);
    std::string const file = dir.path() + "/" + node + ".yaml";
    std::ofstream(file) << "cluster: ldr\nnode: " << node << "\nsnapshot_dir: " << dir.path()
                        << "/" << node << "-snaps\nstate_dir: " << dir.path() << "/" << node
                        << "-state\netcd: {endpoints: [" << endpoints[i] << "]}\n"
                        << "locations:\n  m:\n    url: \"" << loc.url << "\"\n"
                        << "    credentials: {access_key_id_env: KB_T_KEY, "
                           "secret_access_key_env: KB_T_SECRET}\n"
                        << "etcd_snapshots: {schedule: \"@every 4s\", location: m, keep_local: 2}\n"
                        << "agent: {metrics_address: \"\", control_socket: \"\", lease_ttl: 5s}\n";
    agents.push_back(std::make_unique<BackgroundProcess>(
        std::vector<std::string>{KB_BINARY_PATH, "agent", "--config", file},
        std::vector<std::string>{"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                                 "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")},
        dir.path() + "/" + node + ".log"));
  }
  auto logs = [&] {
    std::string all;
    for (auto& a : agents) all += a->Log() + "\n----\n";
    return all;
  };
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] { return Uploads(loc).size() >= 4; }))
      << logs();
  auto before = Uploads(loc);
  EXPECT_EQ(Doubles(before), 0) << "two uploads in one tick\n" << logs();
  std::string const leader = before.back().node;
  for (auto const& u : before) EXPECT_EQ(u.node, leader) << "one uploader";
  // Every agent keeps local copies, the followers too.
  for (int i = 0; i < 3; ++i) {
    std::error_code ec;
    int n = 0;
    for (auto const& e : std::filesystem::directory_iterator(
             dir.path() + "/n" + std::to_string(i + 1) + "-snaps", ec)) {
      if (e.path().string().ends_with(".manifest.json")) ++n;
    }
    EXPECT_GE(n, 1) << "n" << i + 1 << " keeps local copies";
  }

  // Kill the leader: another agent uploads within the lease TTL and a few ticks.
  int const leader_index = leader.back() - '1';
  agents[leader_index]->Signal(SIGKILL);
  ASSERT_TRUE(agents[leader_index]->Wait(std::chrono::seconds(10)).has_value());
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] {
    auto now = Uploads(loc);
    return std::count_if(now.begin(), now.end(),
                         [&](Upload const& u) { return u.node != leader; }) >= 3;
  })) << logs();
  auto after = Uploads(loc);
  EXPECT_EQ(Doubles(after), 0) << "two uploads in one tick after the takeover\n" << logs();
  std::string const new_leader = after.back().node;
  EXPECT_NE(new_leader, leader);
  for (int i = 0; i < 3; ++i) {
    if (i == leader_index) continue;
    agents[i]->Signal(SIGTERM);
    EXPECT_EQ(agents[i]->Wait(std::chrono::seconds(90)), std::optional<int>(0)) << logs();
  }
}

}  // namespace
}  // namespace kb::testing
