// LeaderElection against a real 3-member etcd 3.6 cluster (tests/env/etcd-cluster.sh), one
// agent per member: exactly one leader; a resign hands over within the TTL; a leader whose
// member is SIGKILLed, or which stops renewing, is replaced after its lease ends and knows it
// lost; a key deleted behind its back ends leadership; and two agents never both believe.
#include "etcd/leader_election.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/integration/etcd/election_test_env.h"

namespace kb::etcd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Agent;
using testing::ElectionCluster;
using testing::LeaderIndex;
using testing::OverlapSampler;
using testing::WaitFor;
using SteadyClock = std::chrono::steady_clock;

constexpr seconds kTtl{3};                  // margin ttl/5 = 600 ms, poll ttl/3 = 1 s
constexpr milliseconds kPoll{1000};
// etcd's lease expiry scan (500 ms), then 1 s for the RPCs of a loaded 2-core machine.
constexpr milliseconds kExpirySlack{2000};
// When the killed member was the raft leader: its successor is elected within two election
// timeouts (2 s) and restarts every lease's TTL plus one election timeout (1 s).
constexpr milliseconds kRaftLeaderChange{3000};

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.Up());  // a member killed by an earlier run comes back
    for (int i = 0; i < 3; ++i) {
      agents_.push_back(cluster_.MakeAgent(i, cluster_name_, kTtl));
      ASSERT_NE(agents_.back(), nullptr);
    }
  }
  void StartAll() {
    for (auto& a : agents_) a->election->Start();
  }
  /// Waits until exactly one agent leads; returns it (-1 after `timeout`).
  int WaitForOneLeader(milliseconds timeout) {
    int leader = -1;
    WaitFor(timeout, [&] { return (leader = LeaderIndex(agents_)) >= 0; });
    return leader;
  }

  ElectionCluster cluster_;
  std::string const cluster_name_ =
      "le" + std::to_string(::getpid()) + "-" +
      ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::vector<std::unique_ptr<Agent>> agents_;
};

TEST_F(LeaderElectionTest, ExactlyOneOfThreeLeadsAndAllNameIt) {
  OverlapSampler sampler(agents_);
  StartAll();
  int const leader = WaitForOneLeader(seconds(10));
  ASSERT_GE(leader, 0);
  std::this_thread::sleep_for(2 * kTtl);  // keepalives hold it: no change for two TTLs
  EXPECT_EQ(LeaderIndex(agents_), leader);
  EXPECT_TRUE(agents_[leader]->election->StillLeader());
  EXPECT_TRUE(agents_[leader]->election->LeaderGuard().has_value());
  for (int i = 0; i < 3; ++i) {
    auto name = agents_[i]->election->Leader();
    ASSERT_TRUE(name.ok()) << name.status().ToString();
    EXPECT_EQ(*name, agents_[leader]->name);
    if (i != leader) {
      EXPECT_FALSE(agents_[i]->election->StillLeader());
      EXPECT_FALSE(agents_[i]->election->LeaderGuard().has_value());
    }
    EXPECT_EQ(agents_[i]->Changes().size(), i == leader ? 1u : 0u);
  }
  EXPECT_EQ(agents_[leader]->election->key(), "/kbackup/" + cluster_name_ + "/leader");
  EXPECT_EQ(sampler.Stop(), 0);
}

TEST_F(LeaderElectionTest, AResignHandsOverWithinTheTtlAndNeverOverlaps) {
  OverlapSampler sampler(agents_);
  StartAll();
  int leader = WaitForOneLeader(seconds(10));
  ASSERT_GE(leader, 0);
  for (int round = 0; round < 3; ++round) {  // resign, rejoin, three times
    auto const resigned = SteadyClock::now();
    ASSERT_TRUE(agents_[leader]->election->Resign().ok());
    EXPECT_FALSE(agents_[leader]->election->IsLeader());
    auto changes = agents_[leader]->Changes();
    ASSERT_FALSE(changes.empty());
    EXPECT_FALSE(changes.back().change.leader);
    EXPECT_TRUE(changes.back().change.reason.ok());  // resigned
    int next = -1;
    ASSERT_TRUE(WaitFor(kTtl, [&] { return (next = LeaderIndex(agents_)) >= 0; }))
        << "round " << round << ": no new leader within the TTL";
    EXPECT_NE(next, leader);
    std::cout << "round " << round << ": handover after resign took "
              << std::chrono::duration_cast<milliseconds>(SteadyClock::now() - resigned).count()
              << " ms\n";
    agents_[leader]->election->Start();  // rejoin as a follower
    leader = next;
  }
  EXPECT_EQ(sampler.Stop(), 0);
}

TEST_F(LeaderElectionTest, KillingTheLeadersMemberHandsOverAndTheOldLeaderKnows) {
  OverlapSampler sampler(agents_);
  StartAll();
  int const old = WaitForOneLeader(seconds(10));
  ASSERT_GE(old, 0);
  std::this_thread::sleep_for(milliseconds(500));
  auto member = agents_[old]->client->Status();
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  bool const raft_leader = member->leader == member->member_id;
  auto const killed = SteadyClock::now();
  ASSERT_TRUE(cluster_.KillMember(old));
  // The old leader stops believing at its local deadline: before the TTL has passed.
  ASSERT_TRUE(WaitFor(kTtl, [&] { return !agents_[old]->election->IsLeader(); }));
  auto const stopped = SteadyClock::now();
  ASSERT_TRUE(WaitFor(milliseconds(500), [&] {
    auto seen = agents_[old]->Changes();
    return !seen.empty() && !seen.back().change.leader;
  }));
  auto const lost = agents_[old]->Changes().back();
  EXPECT_EQ(lost.change.reason.code(), StatusCode::kDeadlineExceeded)
      << lost.change.reason.ToString();
  int next = -1;
  ASSERT_TRUE(WaitFor(kTtl + kPoll + kExpirySlack + kRaftLeaderChange,
                      [&] { return (next = LeaderIndex(agents_)) >= 0; }));
  auto const took_over = SteadyClock::now();
  EXPECT_NE(next, old);
  EXPECT_GE(took_over - stopped, milliseconds(500));  // at least about the safety margin
  std::cout << "member killed (" << (raft_leader ? "the raft leader" : "a raft follower")
            << "): old leader stopped after "
            << std::chrono::duration_cast<milliseconds>(stopped - killed).count()
            << " ms, new leader after "
            << std::chrono::duration_cast<milliseconds>(took_over - killed).count() << " ms\n";
  auto name = agents_[next]->election->Leader();
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, agents_[next]->name);
  EXPECT_EQ(sampler.Stop(), 0);
  agents_.clear();
  EXPECT_TRUE(cluster_.Up());  // the member back, for the tests after this one
}

TEST_F(LeaderElectionTest, ALeaderThatStopsRenewingIsReplacedOnlyAfterItsLease) {
  OverlapSampler sampler(agents_);
  StartAll();
  int const old = WaitForOneLeader(seconds(10));
  ASSERT_GE(old, 0);
  sampler.Forget(old);
  auto const dropped = SteadyClock::now();
  agents_[old].reset();  // like a crash: no resign, no more keepalives
  int next = -1;
  ASSERT_TRUE(WaitFor(kTtl + kPoll + kExpirySlack,
                      [&] { return (next = LeaderIndex(agents_)) >= 0; }));
  auto const after = SteadyClock::now() - dropped;
  // Its last renewal was at most TTL/3 before: the key lived at least 2/3 of the TTL more.
  EXPECT_GE(after, kTtl * 2 / 3 - milliseconds(100));
  std::cout << "leader dropped without resign: new leader after "
            << std::chrono::duration_cast<milliseconds>(after).count() << " ms\n";
  EXPECT_EQ(sampler.Stop(), 0);
}

TEST_F(LeaderElectionTest, AKeyDeletedBehindTheLeadersBackEndsItsLeadership) {
  StartAll();
  int const leader = WaitForOneLeader(seconds(10));
  ASSERT_GE(leader, 0);
  auto other = cluster_.Connect((leader + 1) % 3);
  ASSERT_NE(other, nullptr);
  auto deleted = other->Delete(agents_[leader]->election->key());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_EQ(*deleted, 1);
  EXPECT_FALSE(agents_[leader]->election->StillLeader());
  EXPECT_FALSE(agents_[leader]->election->IsLeader());
  auto changes = agents_[leader]->Changes();
  ASSERT_FALSE(changes.empty());
  EXPECT_FALSE(changes.back().change.leader);
  EXPECT_EQ(changes.back().change.reason.code(), StatusCode::kAborted)
      << changes.back().change.reason.ToString();
  EXPECT_GE(WaitForOneLeader(kTtl), 0);  // someone (maybe the same agent) leads again
}

TEST(LeaderElectionOptions, BadOptionsAreRefusedBeforeAnythingIsSent) {
  ElectionCluster cluster;
  auto client = cluster.Connect(0);
  ASSERT_NE(client, nullptr);
  LeaderElectionOptions o;
  o.cluster = "a/b";
  o.node_name = "n";
  auto e = LeaderElection::Create(*client, o);
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  o.cluster = "ok";
  o.ttl = seconds(1);
  EXPECT_EQ(LeaderElection::Create(*client, o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kb::etcd
