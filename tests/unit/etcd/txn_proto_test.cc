// Our Txn and Lease messages on the wire: the bytes etcd's field numbers give (etcd-api.md
// §1.4, §1.6), hand-encoded here, and the conversions to and from etcd/kv.h.
#include "etcd/internal/txn_proto.h"

#include <gtest/gtest.h>

#include <string>

namespace kb::etcd::internal {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(TxnProto, CampaignTxnEncodesWithEtcdFieldNumbers) {
  TxnRequest txn;
  txn.compare.push_back(Compare::CreateRevision("k", Compare::Result::kEqual, 0));
  txn.success.push_back(TxnOp::Put("k", "n", 5));
  txn.failure.push_back(TxnOp::Range("k"));
  std::string wire;
  ASSERT_TRUE(ToProto(txn).SerializeToString(&wire));
  // compare=1 {target=2 CREATE(1), key=3 "k", create_revision=5 0 (set: a oneof member)}
  // success=2 {request_put=2 {key=1 "k", value=2 "n", lease=3 5}}
  // failure=3 {request_range=1 {key=1 "k"}}
  EXPECT_EQ(wire, Bytes({0x0a, 0x07, 0x10, 0x01, 0x1a, 0x01, 'k', 0x28, 0x00,              //
                         0x12, 0x0a, 0x12, 0x08, 0x0a, 0x01, 'k', 0x12, 0x01, 'n', 0x18, 5,  //
                         0x1a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'k'}));
}

TEST(TxnProto, ComparesOnValueAndModRevisionAndDeletes) {
  TxnRequest txn;
  txn.compare.push_back(Compare::Value("a", Compare::Result::kNotEqual, "v"));
  txn.compare.push_back(Compare::ModRevision("b", Compare::Result::kLess, 9));
  txn.success.push_back(TxnOp::DeleteRange("c", "d"));
  etcdserverpb::TxnRequest p = ToProto(txn);
  ASSERT_EQ(p.compare_size(), 2);
  EXPECT_EQ(p.compare(0).target(), etcdserverpb::Compare::VALUE);
  EXPECT_EQ(p.compare(0).result(), etcdserverpb::Compare::NOT_EQUAL);
  EXPECT_EQ(p.compare(0).value(), "v");
  EXPECT_EQ(p.compare(1).target(), etcdserverpb::Compare::MOD);
  EXPECT_EQ(p.compare(1).result(), etcdserverpb::Compare::LESS);
  EXPECT_EQ(p.compare(1).mod_revision(), 9);
  std::string wire;
  ASSERT_TRUE(p.success(0).SerializeToString(&wire));
  // request_delete_range=3 {key=1 "c", range_end=2 "d"}
  EXPECT_EQ(wire, Bytes({0x1a, 0x06, 0x0a, 0x01, 'c', 0x12, 0x01, 'd'}));
  EXPECT_EQ(p.failure_size(), 0);
}

TEST(TxnProto, DecodesAFailedCampaignAnswer) {
  // header=1 {revision=3 7}; responses=3 [{response_range=1 {kvs=2 [{key "k",
  // create_revision 3, mod_revision 4, version 1, value "n", lease 5}], count=4 1}},
  // {response_delete_range=3 {deleted=2 2}}]
  std::string wire = Bytes({0x0a, 0x02, 0x18, 0x07,                                   //
                            0x1a, 0x14, 0x0a, 0x12, 0x12, 0x0e,                       //
                            0x0a, 0x01, 'k', 0x10, 3, 0x18, 4, 0x20, 1, 0x2a, 0x01, 'n',  //
                            0x30, 5, 0x20, 0x01,                                      //
                            0x1a, 0x04, 0x1a, 0x02, 0x10, 0x02});
  etcdserverpb::TxnResponse p;
  ASSERT_TRUE(p.ParseFromString(wire));
  TxnResult r = FromProto(p);
  EXPECT_EQ(r.revision, 7);
  EXPECT_FALSE(r.succeeded);
  ASSERT_EQ(r.responses.size(), 2u);
  EXPECT_EQ(r.responses[0].type, TxnOp::Type::kRange);
  EXPECT_EQ(r.responses[0].range.count, 1);
  EXPECT_EQ(r.responses[0].range.revision, 7);
  ASSERT_EQ(r.responses[0].range.kvs.size(), 1u);
  KeyValue const& kv = r.responses[0].range.kvs[0];
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.value, "n");
  EXPECT_EQ(kv.create_revision, 3);
  EXPECT_EQ(kv.mod_revision, 4);
  EXPECT_EQ(kv.version, 1);
  EXPECT_EQ(kv.lease, 5);
  EXPECT_EQ(r.responses[1].type, TxnOp::Type::kDeleteRange);
  EXPECT_EQ(r.responses[1].deleted, 2);
}

TEST(TxnProto, LeaseMessagesUseEtcdFieldNumbers) {
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(15);
  EXPECT_EQ(grant.SerializeAsString(), Bytes({0x08, 15}));  // TTL=1
  etcdserverpb::LeaseGrantResponse granted;
  ASSERT_TRUE(granted.ParseFromString(Bytes({0x10, 0x42, 0x18, 15, 0x22, 1, 'x'})));
  EXPECT_EQ(granted.id(), 0x42);  // ID=2
  EXPECT_EQ(granted.ttl(), 15);   // TTL=3
  EXPECT_EQ(granted.error(), "x");  // error=4
  etcdserverpb::LeaseKeepAliveRequest keep;
  keep.set_id(0x42);
  EXPECT_EQ(keep.SerializeAsString(), Bytes({0x08, 0x42}));  // ID=1
  etcdserverpb::LeaseKeepAliveResponse kept;
  ASSERT_TRUE(kept.ParseFromString(Bytes({0x10, 0x42, 0x18, 9})));
  EXPECT_EQ(kept.id(), 0x42);  // ID=2
  EXPECT_EQ(kept.ttl(), 9);    // TTL=3
  etcdserverpb::LeaseRevokeRequest revoke;
  revoke.set_id(0x42);
  EXPECT_EQ(revoke.SerializeAsString(), Bytes({0x08, 0x42}));  // ID=1
}

}  // namespace
}  // namespace kb::etcd::internal
