// EtcdClient's Txn and lease calls against real etcd 3.4 and 3.6 members (tests/env/up.sh,
// kubeadm-style TLS) and the auth-enabled member: compares and branches, a lease's keys going
// with it, keepalives outliving the TTL, and a revoked lease reported lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "etcd/etcd_client.h"
#include "tests/integration/etcd/etcd_test_env.h"

namespace kb::etcd {
namespace {

using kb::testing::EtcdServer;
using kb::testing::GetEtcdServer;
using kb::testing::RequireEnv;
using std::chrono::seconds;
using testing::TlsOptions;
using R = Compare::Result;

class EtcdLeaseTxnTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto c = EtcdClient::Connect(TlsOptions(server_));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
  }
  std::string Key(char const* name) const {
    return "/kbtest/lease/" + std::to_string(::getpid()) + "/" + name;
  }
  EtcdServer server_ = GetEtcdServer(GetParam());
  std::unique_ptr<EtcdClient> client_;
};

TEST_P(EtcdLeaseTxnTest, TxnComparesValueAndRevisionsAndRunsOneBranch) {
  EtcdClient& c = *client_;
  std::string const k = Key("txn");
  ASSERT_TRUE(c.Put(k, "v1").ok());
  auto before = c.Range(k);
  ASSERT_TRUE(before.ok() && before->kvs.size() == 1);
  std::int64_t const mod = before->kvs[0].mod_revision;

  TxnRequest swap;  // compare-and-swap on the value and mod_revision, read back in the branch
  swap.compare = {Compare::Value(k, R::kEqual, "v1"), Compare::ModRevision(k, R::kEqual, mod)};
  swap.success = {TxnOp::Put(k, "v2"), TxnOp::Range(k)};
  swap.failure = {TxnOp::Range(k)};
  auto r = c.Txn(swap);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->succeeded);
  EXPECT_GT(r->revision, mod);
  ASSERT_EQ(r->responses.size(), 2u);
  EXPECT_EQ(r->responses[0].type, TxnOp::Type::kPut);
  ASSERT_EQ(r->responses[1].range.kvs.size(), 1u);
  EXPECT_EQ(r->responses[1].range.kvs[0].value, "v2");
  EXPECT_EQ(r->responses[1].range.kvs[0].mod_revision, r->revision);

  auto again = c.Txn(swap);  // the value changed: the failure branch reads it
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->succeeded);
  ASSERT_EQ(again->responses.size(), 1u);
  EXPECT_EQ(again->responses[0].range.kvs.at(0).value, "v2");

  TxnRequest create;  // "create if absent" fails on an existing key and shows its revision
  create.compare = {Compare::CreateRevision(k, R::kEqual, 0)};
  create.success = {TxnOp::Put(k, "v3")};
  create.failure = {TxnOp::Range(k), TxnOp::DeleteRange(k)};
  auto created = c.Txn(create);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE(created->succeeded);
  EXPECT_EQ(created->responses.at(0).range.kvs.at(0).create_revision,
            before->kvs[0].create_revision);
  EXPECT_EQ(created->responses.at(1).deleted, 1);
  auto now = c.Txn(create);  // absent now: created
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->succeeded);
  EXPECT_EQ(c.Range(k)->kvs.at(0).create_revision, now->revision);
  EXPECT_TRUE(c.Delete(k).ok());
}

TEST_P(EtcdLeaseTxnTest, TxnWritingAKeyTwiceIsInvalidArgument) {
  TxnRequest t;
  t.success = {TxnOp::Put(Key("dup"), "a"), TxnOp::Put(Key("dup"), "b")};
  EXPECT_EQ(client_->Txn(t).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(EtcdLeaseTxnTest, RevokingALeaseDeletesItsKeys) {
  EtcdClient& c = *client_;
  auto lease = c.LeaseGrant(seconds(30));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_NE(lease->id, 0);
  EXPECT_EQ(lease->ttl, seconds(30));
  std::string const k = Key("leased");
  TxnRequest put;
  put.success = {TxnOp::Put(k, "x", lease->id)};
  ASSERT_TRUE(c.Txn(put).ok());
  EXPECT_EQ(c.Range(k)->kvs.at(0).lease, lease->id);
  ASSERT_TRUE(c.LeaseRevoke(lease->id).ok());
  EXPECT_TRUE(c.Range(k)->kvs.empty());
  EXPECT_EQ(c.LeaseRevoke(lease->id).code(), StatusCode::kNotFound);
  auto late = c.Txn(put);  // a Put naming the revoked lease
  EXPECT_EQ(late.status().code(), StatusCode::kNotFound) << late.status().ToString();
  EXPECT_NE(late.status().message().find("expired or was revoked"), std::string::npos);
  EXPECT_EQ(c.LeaseGrant(seconds(0)).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(EtcdLeaseTxnTest, KeepAliveOutlivesTheTtlAndReportsARevokedLease) {
  EtcdClient& c = *client_;
  auto lease = c.LeaseGrant(seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  std::string const k = Key("kept");
  TxnRequest put;
  put.success = {TxnOp::Put(k, "x", lease->id)};
  ASSERT_TRUE(c.Txn(put).ok());
  std::atomic<int> lost_calls{0};
  KeepAliveOptions o;
  o.safety_margin = std::chrono::milliseconds(300);
  o.on_lost = [&](Status const&) { ++lost_calls; };
  auto ka = c.KeepAlive(*lease, o);
  ASSERT_TRUE(ka.ok()) << ka.status().ToString();
  std::this_thread::sleep_for(seconds(5));  // 2.5 TTLs
  EXPECT_TRUE((*ka)->Alive());
  EXPECT_GE((*ka)->renewals(), 4);  // every TTL/3
  EXPECT_EQ(c.Range(k)->kvs.size(), 1u);
  EXPECT_GT((*ka)->Deadline(), std::chrono::steady_clock::now());

  ASSERT_TRUE(c.LeaseRevoke(lease->id).ok());
  for (int i = 0; i < 50 && (*ka)->status().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ((*ka)->status().code(), StatusCode::kNotFound) << (*ka)->status().ToString();
  EXPECT_FALSE((*ka)->Alive());
  EXPECT_EQ(lost_calls.load(), 1);
  o.safety_margin = seconds(2);  // not below 2/3 of the TTL
  EXPECT_EQ(c.KeepAlive(*lease, o).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Real, EtcdLeaseTxnTest, ::testing::ValuesIn(testing::kEtcdVersions));

TEST(EtcdLeaseTxnAuth, LeasesKeepAliveAndTxnWorkWithATokenUser) {
  auto c = EtcdClient::Connect(testing::AuthOptions(RequireEnv("KB_TEST_ETCDAUTH_PASSWORD")));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto lease = (*c)->LeaseGrant(seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  std::string const k = "/kbtest/lease-auth/" + std::to_string(::getpid());
  TxnRequest put;
  put.compare = {Compare::CreateRevision(k, R::kEqual, 0)};
  put.success = {TxnOp::Put(k, "x", lease->id)};
  auto r = (*c)->Txn(put);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->succeeded);
  auto ka = (*c)->KeepAlive(*lease);
  ASSERT_TRUE(ka.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_TRUE((*ka)->Alive()) << (*ka)->status().ToString();
  EXPECT_GE((*ka)->renewals(), 3);
  EXPECT_TRUE((*c)->LeaseRevoke(lease->id).ok());
  EXPECT_TRUE((*c)->Range(k)->kvs.empty());
}

}  // namespace
}  // namespace kb::etcd
