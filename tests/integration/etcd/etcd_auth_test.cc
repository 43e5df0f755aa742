// EtcdClient against a real etcd with auth enabled (user/password, token in metadata).

#include <gtest/gtest.h>

#include "etcd/etcd_client.h"
#include "tests/integration/etcd/etcd_test_env.h"

namespace kb::etcd {
namespace {

using kb::testing::RequireEnv;
using kb::testing::RunCommand;
using testing::AuthOptions;

std::string const& Password() {
  static std::string const p = RequireEnv("KB_TEST_ETCDAUTH_PASSWORD");
  return p;
}

/// etcdctl as the auth member's root user.
kb::testing::CommandResult RootEtcdctl(std::vector<std::string> args) {
  std::vector<std::string> argv{RequireEnv("KB_TEST_ETCDAUTH_BIN") + "/etcdctl", "--endpoints",
                                RequireEnv("KB_TEST_ETCDAUTH_ENDPOINT"), "--user",
                                RequireEnv("KB_TEST_ETCDAUTH_USER") + ":" + Password()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {"ETCDCTL_API=3"});
}

TEST(EtcdAuth, CorrectPasswordConnectsReadsWritesAndSnapshots) {
  auto client = EtcdClient::Connect(AuthOptions(Password()));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto st = (*client)->Status();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_GE(st->revision, 1);
  std::string const key = "/kbtest/auth/" + std::to_string(::getpid());
  ASSERT_TRUE((*client)->Put(key, "v").ok());
  auto r = (*client)->Range(key);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].value, "v");
  CollectingSink sink;  // Snapshot needs the root role: the test user is root
  auto info = (*client)->Snapshot(sink);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(sink.finished());
}

TEST(EtcdAuth, WrongPasswordIsRejectedClearlyWithoutLeakingIt) {
  std::string const wrong = "kb-wrong-" + Password() + "-pw";
  auto client = EtcdClient::Connect(AuthOptions(wrong));
  ASSERT_FALSE(client.ok());
  Status const& st = client.status();
  EXPECT_TRUE(st.code() == StatusCode::kUnauthenticated ||
              st.code() == StatusCode::kPermissionDenied)
      << st.ToString();
  EXPECT_NE(st.message().find("check --etcd-user and KBACKUP_ETCD_PASSWORD"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find(RequireEnv("KB_TEST_ETCDAUTH_ENDPOINT")), std::string::npos);
  EXPECT_EQ(st.message().find(wrong), std::string::npos) << "the password leaked: " << st.message();
  EXPECT_EQ(st.message().find(Password()), std::string::npos) << "the password leaked";
}

TEST(EtcdAuth, WrongPasswordWithASecondEndpointStopsAtTheFirstAnswer) {
  auto o = AuthOptions("definitely-not-it");
  o.endpoints.push_back(testing::DeadEndpoint("http"));
  auto client = EtcdClient::Connect(o);
  ASSERT_EQ(client.status().code(), StatusCode::kUnauthenticated) << client.status().ToString();
  EXPECT_EQ(client.status().message().find("definitely-not-it"), std::string::npos);
}

TEST(EtcdAuth, NoUserIsRejectedWithAdvice) {
  EtcdConnectOptions o;
  o.endpoints = {RequireEnv("KB_TEST_ETCDAUTH_ENDPOINT")};
  auto client = EtcdClient::Connect(o);
  Status st = client.ok() ? (*client)->Range("/kbtest/auth/x").status() : client.status();
  ASSERT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_NE(st.message().find("--etcd-user"), std::string::npos) << st.message();
}

TEST(EtcdAuth, AuthStoreChangeRefreshesTheToken) {
  auto client = EtcdClient::Connect(AuthOptions(Password()));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  // Any auth change makes older tokens stale ("revision of auth store is old").
  std::string const user = "kbtest-" + std::to_string(::getpid());
  ASSERT_EQ(RootEtcdctl({"user", "add", user + ":pw-" + user}).exit_code, 0);
  ASSERT_EQ(RootEtcdctl({"user", "delete", user}).exit_code, 0);
  auto r = (*client)->Range("/kbtest/auth/refresh");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  CollectingSink sink;
  ASSERT_EQ(RootEtcdctl({"user", "add", user + ":pw-" + user}).exit_code, 0);
  ASSERT_EQ(RootEtcdctl({"user", "delete", user}).exit_code, 0);
  auto info = (*client)->Snapshot(sink);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
}

}  // namespace
}  // namespace kb::etcd
