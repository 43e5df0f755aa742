// kbackup etcd snapshot / list / status / verify / restore, end to end against real etcd 3.4 and
// 3.6 and a real MinIO.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

json::value ParseOut(CommandResult const& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << "stdout is not one JSON document: " << r.out << "\nstderr: " << r.err;
  return v;
}

/// The MinIO bucket as a kbackup location under a fresh prefix.
std::string S3Location(std::string const& prefix) {
  return "s3://" + RequireEnv("KB_TEST_S3_BUCKET") + "/" + prefix +
         "?endpoint=" + RequireEnv("KB_TEST_S3_ENDPOINT") + "&region=us-east-1&path_style=true";
}

std::vector<std::string> S3Env() {
  return {"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
          "AWS_SECRET_ACCESS_KEY=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
}

std::string UniquePrefix(std::string const& what) {
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return what + "-" + std::to_string(now);
}

int CountLines(std::string const& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

class EtcdSnapshotCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { server_ = GetEtcdServer(GetParam()); }

  /// Takes a snapshot into `location` with JSON output; returns the parsed object.
  json::object Snapshot(std::string const& location, std::string const& snapshot_dir,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--output", "json", "--location", location, "etcd", "snapshot",
                                  "--cluster-name", "test", "--node-name", "n1",
                                  "--snapshot-dir", snapshot_dir};
    auto flags = server_.KbackupFlags();
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunKbackup(args, S3Env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto v = ParseOut(r);
    return v.is_object() ? v.as_object() : json::object{};
  }

  EtcdServer server_;
};

TEST_P(EtcdSnapshotCli, SnapshotToMinioThenListStatusVerify) {
  TempDir dir;
  std::string prefix = UniquePrefix("snap");
  PutKeys(server_, "/" + prefix + "/", 200, 100);
  std::string loc = S3Location(prefix);
  auto snap = Snapshot(loc, dir.path());
  std::string name(snap["name"].as_string());
  EXPECT_TRUE(name.starts_with("test-etcd-n1-")) << name;
  EXPECT_GT(snap["db_size"].to_number<std::int64_t>(), 0);
  EXPECT_EQ(snap["raw_size"].to_number<std::int64_t>(), snap["db_size"].to_number<std::int64_t>() + 32);
  EXPECT_EQ(snap["sha256"].as_string().size(), 64u);
  EXPECT_GT(snap["revision"].to_number<std::int64_t>(), 0);
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / (name + ".db.zst")));
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / (name + ".manifest.json")));

  // A second snapshot: list shows both, newest first.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto snap2 = Snapshot(loc, dir.path());
  auto list = RunKbackup({"--output", "json", "--location", loc, "etcd", "list"}, S3Env());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto arr = ParseOut(list).as_array();
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0].as_object().at("name"), snap2["name"]);
  EXPECT_EQ(arr[1].as_object().at("name"), snap["name"]);
  for (auto const& field : {"name", "created", "size", "revision"}) {
    EXPECT_TRUE(arr[0].as_object().contains(field)) << field;
  }
  auto table = RunKbackup({"--location", loc, "etcd", "list"}, S3Env());
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(CountLines(table.out), 3) << table.out;  // header + 2 rows
  EXPECT_NE(table.out.find("REVISION"), std::string::npos);

  // verify re-downloads from MinIO (a snapshot dir without the local copy).
  TempDir empty;
  auto verify = RunKbackup({"--output", "json", "--location", loc, "etcd", "verify", name,
                            "--snapshot-dir", empty.path()},
                           S3Env());
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  auto vo = ParseOut(verify).as_object();
  EXPECT_TRUE(vo["verified"].as_bool());
  EXPECT_NE(std::string(vo["source"].as_string()).find("s3://"), std::string::npos);

  auto status = RunKbackup({"--output", "json", "--location", loc, "etcd", "status",
                            (fs::path(dir.path()) / (name + ".db.zst")).string()},
                           S3Env());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(ParseOut(status).as_object()["verified"].as_bool());
}

TEST_P(EtcdSnapshotCli, RestoreServesSameKeysAndRevision) {
  TempDir dir;
  std::string prefix = UniquePrefix("restore");
  PutKeys(server_, "/" + prefix + "/", 300, 64);
  auto before = ReadKeysAndRevision(server_.bin, server_.endpoint, "/" + prefix + "/",
                                    server_.cacert, server_.cert, server_.key);
  ASSERT_EQ(before.count, 300);
  std::string loc = S3Location(prefix);
  auto snap = Snapshot(loc, dir.path());
  std::string name(snap["name"].as_string());

  // Restore from the location (not the local copy) into a data dir that already exists.
  fs::path data_dir = fs::path(dir.path()) / "etcd-data";
  fs::create_directories(data_dir / "member");
  std::ofstream(data_dir / "member" / "marker") << "old";
  int peer = FreePort();
  std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
  TempDir other_snapshots;
  auto r = RunKbackup({"--output", "json", "--location", loc, "etcd", "restore", "--from", name,
                       "--data-dir", data_dir.string(), "--name", "restored",
                       "--initial-advertise-peer-urls", peer_url, "--etcd-tool",
                       server_.restore_tool, "--snapshot-dir", other_snapshots.path(), "--yes"},
                      S3Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ro = ParseOut(r).as_object();
  ASSERT_TRUE(ro["previous_data_dir"].is_string());
  fs::path previous(std::string(ro["previous_data_dir"].as_string()));
  EXPECT_TRUE(fs::exists(previous / "member" / "marker")) << "the old data dir must be kept";
  EXPECT_TRUE(fs::exists(data_dir / "member" / "snap" / "db"));

  ScratchEtcd restored(server_.bin, data_dir.string(), "restored", peer_url);
  ASSERT_TRUE(restored.ready()) << "etcd did not start on the restored dir; see " << restored.log();
  auto after = ReadKeysAndRevision(server_.bin, restored.endpoint(), "/" + prefix + "/");
  EXPECT_EQ(after.count, before.count);
  EXPECT_EQ(after.revision, snap["revision"].to_number<std::int64_t>());
  EXPECT_GE(after.revision, before.revision);
}

TEST_P(EtcdSnapshotCli, RestoreDryRunChangesNothing) {
  TempDir dir;
  auto snap = Snapshot("file://" + dir.path() + "/loc", dir.path() + "/snaps");
  fs::path data_dir = fs::path(dir.path()) / "data";
  fs::create_directories(data_dir);
  std::ofstream(data_dir / "marker") << "old";
  auto r = RunKbackup({"--location", "file://" + dir.path() + "/loc", "etcd", "restore", "--from",
                       std::string(snap["name"].as_string()), "--data-dir", data_dir.string(),
                       "--snapshot-dir", dir.path() + "/snaps", "--etcd-tool",
                       server_.restore_tool, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("would run"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(data_dir / "marker"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 3)
      << "dry run created files";
}

TEST_P(EtcdSnapshotCli, KeepLocalPrunesOldCopiesOnlyAfterANewerOneCompleted) {
  TempDir dir;
  std::string loc = S3Location(UniquePrefix("keep"));
  auto local_names = [&] {
    std::set<std::string> names;
    for (auto const& e : fs::directory_iterator(dir.path())) {
      std::string f = e.path().filename().string();
      if (f.ends_with(".db.zst")) names.insert(f.substr(0, f.size() - 7));
    }
    return names;
  };
  std::vector<std::string> taken;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::seconds(1));  // names stamp seconds
    auto snap = Snapshot(loc, dir.path(), {"--keep-local", "2"});
    taken.emplace_back(snap["name"].as_string());
  }
  // The two newest stay (data and manifest); the oldest is gone, locally only.
  EXPECT_EQ(local_names(), (std::set<std::string>{taken[1], taken[2]}));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / (taken[0] + ".manifest.json")));
  auto list = RunKbackup({"--output", "json", "--location", loc, "etcd", "list"}, S3Env());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(ParseOut(list).as_array().size(), 3u) << "the location keeps all three";

  // A snapshot that does not complete (its upload is refused) prunes nothing, even with
  // --keep-local 1: the two earlier copies stay beside the new local one.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::vector<std::string> args{"--location", loc, "etcd", "snapshot", "--cluster-name", "test",
                                "--node-name", "n1", "--snapshot-dir", dir.path(),
                                "--keep-local", "1"};
  auto flags = server_.KbackupFlags();
  args.insert(args.end(), flags.begin(), flags.end());
  auto failed = RunKbackup(args, {"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                                  "AWS_SECRET_ACCESS_KEY=wrong-secret"});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  auto after = local_names();
  EXPECT_EQ(after.size(), 3u);
  EXPECT_TRUE(after.count(taken[1]) && after.count(taken[2]));
}

INSTANTIATE_TEST_SUITE_P(RealEtcd, EtcdSnapshotCli, ::testing::Values("ETCD34", "ETCD36"));

}  // namespace
}  // namespace kb::testing
