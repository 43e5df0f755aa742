#pragma once
// Helpers of the leader election tests: the 3-member cluster of tests/env/etcd-cluster.sh, one
// agent (client + election) per member, and a sampler that checks two agents never lead at once.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "etcd/etcd_client.h"
#include "etcd/leader_election.h"
#include "tests/support/test_env.h"

namespace kb::etcd::testing {

/// Polls `pred` every 10 ms until it holds (true) or `timeout` passed (false).
inline bool WaitFor(std::chrono::milliseconds timeout, std::function<bool()> const& pred) {
  auto const end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// A change as an agent's on_change saw it, with the time it came.
struct SeenChange {
  std::chrono::steady_clock::time_point at;
  LeadershipChange change;
};

/// One kbackup agent: a client of one member and its election (destroyed first).
struct Agent {
  std::string name;
  std::unique_ptr<EtcdClient> client;
  std::unique_ptr<LeaderElection> election;
  std::vector<SeenChange> Changes() {
    std::lock_guard<std::mutex> lock(mu);
    return changes;
  }
  std::mutex mu;
  std::vector<SeenChange> changes;  // guarded by mu
};

/// The index of the one agent that leads, or -1 when none or several do.
inline int LeaderIndex(std::vector<std::unique_ptr<Agent>> const& agents) {
  int leader = -1;
  for (int i = 0; i < static_cast<int>(agents.size()); ++i) {
    if (agents[i] == nullptr || !agents[i]->election->IsLeader()) continue;
    if (leader >= 0) return -1;
    leader = i;
  }
  return leader;
}

/// The members of tests/env/etcd-cluster.sh (KB_TEST_ETCD_CLUSTER_*).
class ElectionCluster {
 public:
  ElectionCluster() {
    std::stringstream eps(kb::testing::RequireEnv("KB_TEST_ETCD_CLUSTER_ENDPOINTS"));
    std::stringstream names(kb::testing::RequireEnv("KB_TEST_ETCD_CLUSTER_NAMES"));
    for (std::string s; std::getline(eps, s, ',');) endpoints_.push_back(s);
    for (std::string s; std::getline(names, s, ',');) names_.push_back(s);
    dir_ = kb::testing::RequireEnv("KB_TEST_ETCD_CLUSTER_DIR");
  }

  /// Starts the members that are not running (etcd-cluster.sh up) and waits until healthy.
  bool Up() const {
    if (endpoints_.size() != 3 || names_.size() != 3) {
      ADD_FAILURE() << "KB_TEST_ETCD_CLUSTER_ENDPOINTS/NAMES must list 3 members";
      return false;
    }
    auto r = kb::testing::RunCommand(
        {"bash", std::string(KB_SOURCE_DIR) + "/tests/env/etcd-cluster.sh", "up", dir_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0;
  }

  /// A client of member `i` alone, with short deadlines.
  std::unique_ptr<EtcdClient> Connect(int i) const {
    EtcdConnectOptions o;
    o.endpoints = {endpoints_.at(i)};
    o.dial_timeout = std::chrono::seconds(2);
    o.call_timeout = std::chrono::seconds(2);
    auto c = EtcdClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  /// Agent "node-<i>" on member `i`, campaigning for `cluster` with lease TTL `ttl`.
  std::unique_ptr<Agent> MakeAgent(int i, std::string const& cluster,
                                   std::chrono::seconds ttl) const {
    auto agent = std::make_unique<Agent>();
    agent->name = "node-" + std::to_string(i);
    agent->client = Connect(i);
    if (agent->client == nullptr) return nullptr;
    LeaderElectionOptions o;
    o.cluster = cluster;
    o.node_name = agent->name;
    o.ttl = ttl;
    Agent* a = agent.get();
    o.on_change = [a](LeadershipChange const& c) {
      std::lock_guard<std::mutex> lock(a->mu);
      a->changes.push_back(SeenChange{std::chrono::steady_clock::now(), c});
    };
    auto e = LeaderElection::Create(*agent->client, std::move(o));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return nullptr;
    agent->election = std::move(*e);
    return agent;
  }

  /// SIGKILLs member `i` (its pid file names a live etcd of this cluster dir).
  bool KillMember(int i) const {
    std::string const pidfile = dir_ + "/" + names_.at(i) + ".pid";
    int pid = 0;
    std::ifstream(pidfile) >> pid;
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(cmdline)), {});
    if (pid <= 0 || cmd.find(dir_ + "/" + names_.at(i) + "/data") == std::string::npos) {
      ADD_FAILURE() << pidfile << " names no running member";
      return false;
    }
    return ::kill(pid, SIGKILL) == 0;
  }

 private:
  std::vector<std::string> endpoints_;
  std::vector<std::string> names_;
  std::string dir_;
};

/// Samples IsLeader() of every agent about every millisecond on a thread of its own and counts
/// samples where two agents lead at once. A sample whose reads spread over more than 50 ms (the
/// thread was descheduled) cannot tell and is not counted.
class OverlapSampler {
 public:
  explicit OverlapSampler(std::vector<std::unique_ptr<Agent>> const& agents) : agents_(agents) {
    for (std::size_t i = 0; i < agents.size(); ++i) live_.push_back(true);
    thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  }
  ~OverlapSampler() { (void)Stop(); }
  /// Stops sampling agent `i` (before the test destroys it).
  void Forget(int i) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.at(i) = false;
  }
  /// Stops; returns the samples with two leaders (0 expected). Prints how many were taken.
  int Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
      std::cout << "overlap sampler: " << samples_ << " samples, " << overlaps_
                << " with two leaders\n";
    }
    return overlaps_;
  }

 private:
  void Run(std::stop_token const& stop) {
    while (!stop.stop_requested()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto const start = std::chrono::steady_clock::now();
        int leaders = 0;
        for (std::size_t i = 0; i < agents_.size(); ++i) {
          if (live_[i] && agents_[i] != nullptr && agents_[i]->election->IsLeader()) ++leaders;
        }
        if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50)) {
          ++samples_;
          if (leaders > 1) ++overlaps_;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  std::vector<std::unique_ptr<Agent>> const& agents_;
  std::mutex mu_;
  std::vector<bool> live_;  // guarded by mu_
  int samples_ = 0;
  int overlaps_ = 0;
  std::jthread thread_;
};

}  // namespace kb::etcd::testing
