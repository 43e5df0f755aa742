// EtcdClient against real etcd 3.4 and 3.6 members (tests/env/up.sh): kubeadm-style TLS,
// Status, KV calls, endpoint fallback and the errors of bad endpoints and certificates.

#include "etcd/etcd_client.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/etcd/etcd_test_env.h"

namespace kb::etcd {
namespace {

using kb::testing::EtcdServer;
using kb::testing::GetEtcdServer;
using kb::testing::RequireEnv;
using kb::testing::TempDir;
using testing::DeadEndpoint;
using testing::TlsOptions;

bool Contains(std::string const& s, std::string const& part) {
  return s.find(part) != std::string::npos;
}

class EtcdClientTest : public ::testing::TestWithParam<std::string> {
 protected:
  EtcdServer server_ = GetEtcdServer(GetParam());
};

TEST_P(EtcdClientTest, ConnectsWithKubeadmTlsAndReportsSaneStatus) {
  auto client = EtcdClient::Connect(TlsOptions(server_));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ((*client)->endpoint(), server_.endpoint);
  auto st = (*client)->Status();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->endpoint, server_.endpoint);
  EXPECT_TRUE(st->version.starts_with(GetParam() == "ETCD34" ? "3.4." : "3.6.")) << st->version;
  EXPECT_GT(st->db_size, 0);
  EXPECT_GT(st->db_size_in_use, 0);
  EXPECT_LE(st->db_size_in_use, st->db_size);
  EXPECT_NE(st->member_id, 0u);
  EXPECT_NE(st->cluster_id, 0u);
  EXPECT_EQ(st->leader, st->member_id);  // a one-member cluster leads itself
  EXPECT_GT(st->raft_index, 0u);
  EXPECT_GT(st->raft_term, 0u);
  EXPECT_GE(st->revision, 1);
  EXPECT_FALSE(st->is_learner);
}

TEST_P(EtcdClientTest, PutRangeDeleteAndRevisions) {
  auto client = EtcdClient::Connect(TlsOptions(server_));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EtcdClient& c = **client;
  std::string const prefix = "/kbtest/client/" + std::to_string(::getpid()) + "/";
  auto before = c.CurrentRevision();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Put(prefix + std::to_string(i), "value-" + std::to_string(i)).ok());
  }
  auto after = c.CurrentRevision();
  ASSERT_TRUE(after.ok());
  EXPECT_GE(*after, *before + 5);
  std::string end = prefix;
  end.back() += 1;
  auto r = c.Range(prefix, end, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->count, 5);
  EXPECT_TRUE(r->more);
  ASSERT_EQ(r->kvs.size(), 3u);
  EXPECT_EQ(r->kvs[0].key, prefix + "0");
  EXPECT_EQ(r->kvs[0].value, "value-0");
  EXPECT_GT(r->kvs[0].mod_revision, *before);
  EXPECT_GE(r->revision, *after);
  auto deleted = c.Delete(prefix, end);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 5);
  EXPECT_EQ(c.Range(prefix, end)->count, 0);
}

TEST_P(EtcdClientTest, FirstEndpointDeadUsesTheSecond) {
  auto o = TlsOptions(server_);
  o.endpoints = {DeadEndpoint(), server_.endpoint};
  auto client = EtcdClient::Connect(o);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ((*client)->endpoint(), server_.endpoint);
  EXPECT_TRUE((*client)->Status().ok());
}

TEST_P(EtcdClientTest, AllEndpointsDeadIsUnavailableNamingEach) {
  auto o = TlsOptions(server_);
  std::string const a = DeadEndpoint(), b = DeadEndpoint("http");
  o.endpoints = {a, b};
  o.dial_timeout = std::chrono::seconds(2);
  auto client = EtcdClient::Connect(o);
  ASSERT_EQ(client.status().code(), StatusCode::kUnavailable) << client.status().ToString();
  EXPECT_TRUE(Contains(client.status().message(), a)) << client.status().message();
  EXPECT_TRUE(Contains(client.status().message(), b)) << client.status().message();
}

TEST_P(EtcdClientTest, ClientCertNotSignedByTheCaIsATlsError) {
  auto o = TlsOptions(server_);
  o.cert_file = RequireEnv("KB_TEST_ETCD_BAD_CERT");
  o.key_file = RequireEnv("KB_TEST_ETCD_BAD_KEY");
  auto client = EtcdClient::Connect(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(client.status().code() == StatusCode::kUnauthenticated ||
              client.status().code() == StatusCode::kUnavailable)
      << client.status().ToString();
  EXPECT_TRUE(Contains(client.status().message(), "TLS to " + server_.endpoint + " failed"))
      << client.status().message();
  EXPECT_TRUE(Contains(client.status().message(), "--etcd-cacert/--etcd-cert/--etcd-key"));
}

TEST_P(EtcdClientTest, WrongCaIsATlsError) {
  auto o = TlsOptions(server_);
  o.ca_file = RequireEnv("KB_TEST_ETCD_BAD_CERT");  // a cert the server's cert is not from
  auto client = EtcdClient::Connect(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(Contains(client.status().message(), "TLS to " + server_.endpoint + " failed"))
      << client.status().message();
}

TEST_P(EtcdClientTest, NoClientCertIsATlsError) {
  auto o = TlsOptions(server_);
  o.cert_file.clear();
  o.key_file.clear();
  auto client = EtcdClient::Connect(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(Contains(client.status().message(), "TLS to " + server_.endpoint))
      << client.status().message();
}

TEST_P(EtcdClientTest, MissingCertFileNamesTheFile) {
  auto o = TlsOptions(server_);
  o.cert_file = "/nonexistent/healthcheck-client.crt";
  auto client = EtcdClient::Connect(o);
  ASSERT_EQ(client.status().code(), StatusCode::kNotFound) << client.status().ToString();
  EXPECT_TRUE(Contains(client.status().message(), "/nonexistent/healthcheck-client.crt"));
  EXPECT_TRUE(Contains(client.status().message(), "--etcd-cert"));
}

TEST_P(EtcdClientTest, NonPemKeyFileIsInvalidArgument) {
  TempDir dir;
  std::string const key = dir.path() + "/client.key";
  std::ofstream(key) << "not a key\n";
  auto o = TlsOptions(server_);
  o.key_file = key;
  auto client = EtcdClient::Connect(o);
  ASSERT_EQ(client.status().code(), StatusCode::kInvalidArgument) << client.status().ToString();
  EXPECT_TRUE(Contains(client.status().message(), key));
}

TEST_P(EtcdClientTest, BadEndpointSchemeIsInvalidArgument) {
  auto o = TlsOptions(server_);
  o.endpoints = {"127.0.0.1:2379"};
  EXPECT_EQ(EtcdClient::Connect(o).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Real, EtcdClientTest, ::testing::ValuesIn(testing::kEtcdVersions));

}  // namespace
}  // namespace kb::etcd
