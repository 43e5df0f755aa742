// After a snapshot, the leftovers of killed runs are cleaned up against the real MinIO: a
// multipart upload under the snapshot prefix that no journal can resume is aborted; a local
// ".part" file no process writes (a killed run's) is deleted, however young, with the journal
// of a snapshot that never got its manifest; a ".part" file a live process holds is kept.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "etcd/snapshot_manifest.h"
#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

TEST(EtcdSnapshotCleanup, AbortsOrphanUploadsAndRemovesStalePartFiles) {
  EtcdServer server = GetEtcdServer("ETCD36");
  TempDir dir;
  MinioLocation loc("cleanup");
  std::string const& url = loc.url;
  auto const& env = loc.env;
  auto* store = &loc.store;
  ASSERT_NE(*store, nullptr);

  // A killed run's upload: begun, one part sent, no journal anywhere.
  std::string orphan_key = std::string(etcd::kSnapshotKeyPrefix) + "orphan-etcd-n1.db.zst";
  auto orphan = (*store)->BeginUpload(orphan_key, {});
  ASSERT_TRUE(orphan.ok()) << orphan.status().message();
  // An upload outside the snapshot prefix is not ours to touch.
  auto other = (*store)->BeginUpload("someone-else/big.bin", {});
  ASSERT_TRUE(other.ok()) << other.status().message();

  fs::path snaps = fs::path(dir.path()) / "snaps";
  fs::create_directories(snaps);
  // A killed run's leftovers, a second old: its temp file and its journal (no manifest).
  fs::path killed_part = snaps / ".old-etcd-n1-20261101T000000Z.db.zst.part";
  std::ofstream(killed_part) << "half a snapshot";
  fs::path killed_journal = snaps / ".old-etcd-n1-20261101T000000Z.upload.json";
  std::ofstream(killed_journal) << R"({"upload_id":"x","parts":[]})";
  fs::path killed_tmp = snaps / ".old-etcd-n1-20261101T000000Z.manifest.json.tmp";
  std::ofstream(killed_tmp) << "{";

  std::this_thread::sleep_for(std::chrono::seconds(4));
  // A run still writing: it holds the temp file's flock (as kbackup's writers do).
  fs::path live_part = snaps / ".running-etcd-n2-20261201T000000Z.db.zst.part";
  std::ofstream(live_part) << "being written";
  fs::path live_journal = snaps / ".running-etcd-n2-20261201T000000Z.upload.json";
  std::ofstream(live_journal) << R"({"upload_id":"y","parts":[]})";
  int live_fd = ::open(live_part.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(live_fd, 0);
  ASSERT_EQ(::flock(live_fd, LOCK_EX), 0);

  std::vector<std::string> args{"--output", "json", "--location", url, "etcd", "snapshot",
                                "--cluster-name", "clean", "--node-name", "n1", "--snapshot-dir",
                                snaps.string(), "--stale-after", "3s"};
  auto flags = server.KbackupFlags();
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = RunKbackup(args, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::system::error_code ec;
  auto out = boost::json::parse(r.out, ec).as_object();
  EXPECT_EQ(out.at("stale_uploads_aborted").as_int64(), 1) << r.out;
  EXPECT_EQ(out.at("stale_files_removed").as_array().size(), 3u) << r.out;

  auto pending = (*store)->ListUploads("");
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  bool orphan_left = false, other_left = false;
  for (auto const& u : *pending) {
    orphan_left |= u.upload_id == (*orphan)->upload_id();
    other_left |= u.upload_id == (*other)->upload_id();
  }
  EXPECT_FALSE(orphan_left) << "the orphan upload under the snapshot prefix was not aborted";
  EXPECT_TRUE(other_left) << "an upload outside the snapshot prefix was aborted";
  EXPECT_FALSE(fs::exists(killed_part));
  EXPECT_FALSE(fs::exists(killed_tmp));
  EXPECT_FALSE(fs::exists(killed_journal)) << "the journal of a snapshot that never finished";
  EXPECT_TRUE(fs::exists(live_part)) << "a .part file still being written was deleted";
  EXPECT_TRUE(fs::exists(live_journal)) << "the journal of a run still writing was deleted";
  ::close(live_fd);
  IgnoreError((*other)->Abort());
}

}  // namespace
}  // namespace kb::testing
