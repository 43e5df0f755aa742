// Long operations show progress (bytes, rate) on a terminal and nothing of it in a pipe:
// kbackup runs on a real pseudo-terminal against the real etcd 3.6.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

class TerminalProgress : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = GetEtcdServer("ETCD36");
    location_ = "file://" + dir_.path() + "/loc";
    snaps_ = dir_.path() + "/snaps";
  }
  std::vector<std::string> SnapshotArgs() const {
    std::vector<std::string> args{"--location", location_, "etcd", "snapshot", "--cluster-name",
                                  "tty", "--node-name", "n1", "--snapshot-dir", snaps_};
    auto flags = server_.KbackupFlags();
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }
  TempDir dir_;
  EtcdServer server_;
  std::string location_, snaps_;
};

TEST_F(TerminalProgress, SnapshotAndRestoreShowBytesAndRateOnATerminal) {
  auto snap = RunKbackupOnTty(SnapshotArgs());
  ASSERT_EQ(snap.exit_code, 0) << snap.out;
  // The progress line is redrawn in place: carriage return, erase line, "snapshot: <bytes>".
  EXPECT_NE(snap.out.find("\r\033[Ksnapshot: "), std::string::npos) << snap.out;
  EXPECT_NE(snap.out.find("/s"), std::string::npos) << snap.out;
  EXPECT_NE(snap.out.find("REVISION"), std::string::npos) << "the result table: " << snap.out;

  auto list = RunKbackup({"--output", "json", "--location", location_, "etcd", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto pos = list.out.find("\"name\":\"");
  ASSERT_NE(pos, std::string::npos) << list.out;
  std::string name = list.out.substr(pos + 8, list.out.find('"', pos + 8) - pos - 8);

  fs::path data_dir = fs::path(dir_.path()) / "data";
  auto restore = RunKbackupOnTty({"--location", location_, "etcd", "restore", "--from", name,
                                  "--data-dir", data_dir.string(), "--snapshot-dir", snaps_,
                                  "--etcd-tool", server_.restore_tool});
  ASSERT_EQ(restore.exit_code, 0) << restore.out;
  EXPECT_NE(restore.out.find("\r\033[Kverify: "), std::string::npos) << restore.out;
  EXPECT_NE(restore.out.find("verify every hash of"), std::string::npos) << restore.out;
  EXPECT_NE(restore.out.find("snapshot restore"), std::string::npos) << restore.out;
  EXPECT_TRUE(fs::exists(data_dir / "member" / "snap" / "db"));
}

TEST_F(TerminalProgress, APipeGetsNoProgressAndNoSteps) {
  auto snap = RunKbackup(SnapshotArgs());
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  EXPECT_EQ(snap.err.find("\r"), std::string::npos) << snap.err;
  EXPECT_EQ(snap.err.find("ETA"), std::string::npos) << snap.err;
}

}  // namespace
}  // namespace kb::testing
