// LeaderElection without I/O: option checks and defaults, the leader key, the campaign Txn,
// what its answer means, and the StillLeader comparison.
#include "etcd/internal/election_logic.h"

#include <gtest/gtest.h>

namespace kb::etcd::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

LeaderElectionOptions Valid() {
  LeaderElectionOptions o;
  o.cluster = "prod";
  o.node_name = "cp1";
  return o;
}

TEST(ElectionLogic, DefaultsAreFifteenSecondsAMarginOfAFifthAndAPollOfAThird) {
  auto o = CheckElectionOptions(Valid());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->prefix, "/kbackup");
  EXPECT_EQ(o->ttl, seconds(15));
  EXPECT_EQ(o->safety_margin, milliseconds(3000));
  EXPECT_EQ(o->poll_interval, milliseconds(5000));
  EXPECT_EQ(o->leader_check_interval, milliseconds(5000)) << "the poll interval";
  EXPECT_EQ(LeaderKey(*o), "/kbackup/prod/leader");
}

TEST(ElectionLogic, RefusesBadOptionsNamingTheField) {
  struct Case {
    void (*edit)(LeaderElectionOptions&);
    char const* names;
  };
  Case const cases[] = {
      {[](LeaderElectionOptions& o) { o.cluster = ""; }, "cluster"},
      {[](LeaderElectionOptions& o) { o.cluster = "a/b"; }, "cluster"},
      {[](LeaderElectionOptions& o) { o.node_name = ""; }, "node name"},
      {[](LeaderElectionOptions& o) { o.prefix = "kbackup"; }, "prefix"},
      {[](LeaderElectionOptions& o) { o.prefix = "/kbackup/"; }, "prefix"},
      {[](LeaderElectionOptions& o) { o.ttl = seconds(1); }, "TTL"},
      {[](LeaderElectionOptions& o) { o.safety_margin = milliseconds(7500); }, "safety margin"},
      {[](LeaderElectionOptions& o) { o.safety_margin = milliseconds(-1); }, "safety margin"},
      {[](LeaderElectionOptions& o) { o.poll_interval = seconds(16); }, "poll interval"},
      {[](LeaderElectionOptions& o) { o.leader_check_interval = seconds(16); },
       "leader check interval"},
      {[](LeaderElectionOptions& o) { o.leader_check_interval = seconds(1); },
       "leader check interval"},
  };
  for (auto const& c : cases) {
    LeaderElectionOptions o = Valid();
    c.edit(o);
    auto checked = CheckElectionOptions(o);
    ASSERT_FALSE(checked.ok()) << c.names;
    EXPECT_EQ(checked.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(checked.status().message().find(c.names), std::string::npos)
        << checked.status().message();
  }
}

TEST(ElectionLogic, CampaignPutsWithTheLeaseOnlyWhenTheKeyDoesNotExist) {
  TxnRequest txn = CampaignTxn("/kbackup/prod/leader", "cp1", 0x42);
  ASSERT_EQ(txn.compare.size(), 1u);
  EXPECT_EQ(txn.compare[0].key, "/kbackup/prod/leader");
  EXPECT_EQ(txn.compare[0].target, Compare::Target::kCreateRevision);
  EXPECT_EQ(txn.compare[0].result, Compare::Result::kEqual);
  EXPECT_EQ(txn.compare[0].revision, 0);
  ASSERT_EQ(txn.success.size(), 1u);
  EXPECT_EQ(txn.success[0].type, TxnOp::Type::kPut);
  EXPECT_EQ(txn.success[0].value, "cp1");
  EXPECT_EQ(txn.success[0].lease, 0x42);
  ASSERT_EQ(txn.failure.size(), 1u);
  EXPECT_EQ(txn.failure[0].type, TxnOp::Type::kRange);
  EXPECT_EQ(txn.failure[0].key, "/kbackup/prod/leader");
}

TxnResult HeldBy(std::string node, std::int64_t lease, std::int64_t create_revision) {
  TxnResult r;
  r.revision = 90;
  TxnOpResult op;
  op.range.kvs.push_back(KeyValue{"/k", std::move(node), create_revision, create_revision, 1,
                                  lease});
  r.responses.push_back(std::move(op));
  return r;
}

TEST(ElectionLogic, ASucceededCampaignLeadsFromTheTxnRevision) {
  TxnResult r;
  r.succeeded = true;
  r.revision = 77;
  CampaignOutcome o = ReadCampaign(r, "cp1", 0x42);
  EXPECT_TRUE(o.leader);
  EXPECT_EQ(o.create_revision, 77);
  EXPECT_EQ(o.holder, "cp1");
}

TEST(ElectionLogic, AFailedCampaignNamesTheHolder) {
  CampaignOutcome o = ReadCampaign(HeldBy("cp2", 0x99, 50), "cp1", 0x42);
  EXPECT_FALSE(o.leader);
  EXPECT_EQ(o.holder, "cp2");
  EXPECT_EQ(o.holder_lease, 0x99);
  EXPECT_EQ(o.create_revision, 50);
}

TEST(ElectionLogic, AKeyHeldByOurLeaseIsOursAgain) {
  // A campaign whose answer was lost, then repeated: the key already carries our lease.
  CampaignOutcome o = ReadCampaign(HeldBy("cp1", 0x42, 50), "cp1", 0x42);
  EXPECT_TRUE(o.leader);
  EXPECT_EQ(o.create_revision, 50);
  // Our node name under another lease (an earlier lease of ours) is not ours.
  EXPECT_FALSE(ReadCampaign(HeldBy("cp1", 0x41, 50), "cp1", 0x42).leader);
}

TEST(ElectionLogic, StillOursNeedsTheSameLeaseAndCreateRevision) {
  RangeResult range;
  range.kvs.push_back(KeyValue{"/k", "cp1", 50, 60, 2, 0x42});
  EXPECT_TRUE(KeyStillOurs(range, 0x42, 50));
  EXPECT_FALSE(KeyStillOurs(range, 0x42, 51));  // deleted and re-created since
  EXPECT_FALSE(KeyStillOurs(range, 0x43, 50));  // another lease
  EXPECT_FALSE(KeyStillOurs(RangeResult{}, 0x42, 50));  // deleted
}

}  // namespace
}  // namespace kb::etcd::internal
