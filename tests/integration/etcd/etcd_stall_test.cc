// A Snapshot stream that stops delivering is cancelled after snapshot_stall_timeout: a real
// etcd (started here, so the test may freeze it) is stopped with SIGSTOP mid-stream.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "agent/base/clock.h"
#include "etcd/etcd_client.h"
#include "tests/integration/etcd/etcd_test_env.h"

extern char** environ;

namespace kb::etcd {
namespace {

using kb::testing::FreePort;
using kb::testing::GetEtcdServer;
using kb::testing::TempDir;

/// A one-member plaintext etcd of the version `id` in `dir`; killed on destruction.
class OwnEtcd {
 public:
  OwnEtcd(std::string const& bin, std::string const& dir) {
    endpoint_ = "http://127.0.0.1:" + std::to_string(FreePort());
    std::string const peer = "http://127.0.0.1:" + std::to_string(FreePort());
    std::vector<std::string> argv{bin + "/etcd", "--name", "stall", "--data-dir", dir + "/data",
                                  "--listen-client-urls", endpoint_, "--advertise-client-urls",
                                  endpoint_, "--listen-peer-urls", peer,
                                  "--initial-advertise-peer-urls", peer, "--initial-cluster",
                                  "stall=" + peer, "--unsafe-no-fsync"};
    std::string const log = dir + "/etcd.log";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    if (posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~OwnEtcd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  /// Connects, retrying while etcd starts (up to ~10 s).
  std::unique_ptr<EtcdClient> Connect(std::chrono::seconds stall) {
    EtcdConnectOptions o;
    o.endpoints = {endpoint_};
    o.snapshot_stall_timeout = stall;
    for (int i = 0; i < 50 && pid_ > 0; ++i) {
      auto c = EtcdClient::Connect(o);
      if (c.ok()) return std::move(c).value();
      SystemClock::Instance().SleepFor(std::chrono::milliseconds(200));
    }
    return nullptr;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
};

class EtcdStallTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EtcdStallTest, StalledSnapshotIsDeadlineExceededAndSinkNotFinished) {
  TempDir dir;
  OwnEtcd etcd(GetEtcdServer(GetParam()).bin, dir.path());
  auto client = etcd.Connect(std::chrono::seconds(2));
  ASSERT_NE(client, nullptr) << "etcd did not start, see " << dir.path() << "/etcd.log";
  // 48 MiB: far more than gRPC's flow-control windows and socket buffers hold, so the stream
  // is still running when the server freezes.
  std::string const value(1 << 20, 'v');
  for (int i = 0; i < 48; ++i) ASSERT_TRUE(client->Put("/big/" + std::to_string(i), value).ok());

  CollectingSink sink;
  bool stopped = false;
  auto const started = SystemClock::Instance().Monotonic();
  auto info = client->Snapshot(sink, [&](std::uint64_t, std::uint64_t) {
    if (!stopped) stopped = ::kill(etcd.pid(), SIGSTOP) == 0;
  });
  auto const seconds =
      std::chrono::duration<double>(SystemClock::Instance().Monotonic() - started).count();
  ::kill(etcd.pid(), SIGCONT);
  ASSERT_TRUE(stopped);
  ASSERT_EQ(info.status().code(), StatusCode::kDeadlineExceeded) << info.status().ToString();
  EXPECT_NE(info.status().message().find("stalled"), std::string::npos);
  EXPECT_FALSE(sink.finished());
  EXPECT_GE(seconds, 2.0);
  EXPECT_LT(seconds, 30.0);
}

INSTANTIATE_TEST_SUITE_P(Real, EtcdStallTest, ::testing::ValuesIn(testing::kEtcdVersions));

}  // namespace
}  // namespace kb::etcd
