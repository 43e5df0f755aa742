// kbackup gc against a real MinIO location holding real etcd snapshots (real etcd 3.6) and
// real Velero-format backups (real kube-apiserver): exactly the expired ones kbackup wrote go,
// everything else stays.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "agent/base/json.h"
#include "tests/support/etcd_env.h"
#include "tests/support/restore_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

bool HasKeyWith(std::vector<std::string> const& keys, std::string const& part) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string const& k) { return k.find(part) != std::string::npos; });
}

std::string SnapshotName(MinioLocation const& loc, std::vector<std::string> const& ttl,
                         std::string const& node) {
  TempDir dir;
  std::vector<std::string> args{"-o", "json", "--location", loc.url, "etcd", "snapshot",
                                "--cluster-name", "gc", "--node-name", node,
                                "--snapshot-dir", dir.path()};
  auto flags = GetEtcdServer("ETCD36").KbackupFlags();
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), ttl.begin(), ttl.end());
  auto r = RunKbackup(args, loc.env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return JsonString(json::parse(r.out).as_object(), "name");
}

TEST(BackupGc, DeletesExactlyTheExpiredBackupsKbackupWrote) {
  MinioLocation loc("gc");
  std::string const s = UniqueSuffix();
  // Real snapshots and backups: expiring in 1 s, and kept (no TTL / the default 720h).
  std::string const old_snapshot = SnapshotName(loc, {"--ttl", "1s"}, "n1");
  std::string const kept_snapshot = SnapshotName(loc, {}, "n2");
  std::string const old_backup = "gc-old-" + s, kept_backup = "gc-kept-" + s;
  ASSERT_TRUE(BackupClusterA(loc, old_backup, {"--include-namespaces", "monitoring", "--ttl", "1s"})
                  .is_object());
  ASSERT_TRUE(BackupClusterA(loc, kept_backup, {"--include-namespaces", "monitoring"}).is_object());
  // An expired backup Velero wrote (no kbackup annotation), one still in progress, and objects
  // that are not backups at all.
  json::object record = json::parse(loc.Read("backups/" + old_backup + "/velero-backup.json"))
                            .as_object();
  json::object foreign = record;
  foreign["metadata"].as_object()["annotations"].as_object().erase("kbackup.io/written-by");
  foreign["metadata"].as_object()["name"] = "velero-made-" + s;
  json::object running = record;
  running["metadata"].as_object()["name"] = "running-" + s;
  running["status"].as_object()["phase"] = "InProgress";
  ASSERT_TRUE(loc.store->Put("backups/velero-made-" + s + "/velero-backup.json",
                             json::serialize(foreign), {}).ok());
  ASSERT_TRUE(loc.store->Put("backups/running-" + s + "/velero-backup.json",
                             json::serialize(running), {}).ok());
  ASSERT_TRUE(loc.store->Put("backups/half-written/half-written.tar.gz", "partial", {}).ok());
  ASSERT_TRUE(loc.store->Put("notes/readme.txt", "not a backup", {}).ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto const before = loc.Keys();

  auto dry = RunKbackup({"--location", loc.url, "-o", "json", "gc", "--dry-run"}, loc.env);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json::object d = json::parse(dry.out).as_object();
  ASSERT_EQ(d.at("deleted").as_array().size(), 2u) << dry.out;
  EXPECT_EQ(loc.Keys(), before) << "a dry run deletes nothing";

  auto gc = RunKbackup({"--location", loc.url, "-o", "json", "gc"}, loc.env);
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  json::object r = json::parse(gc.out).as_object();
  std::vector<std::string> deleted;
  for (auto const& e : r.at("deleted").as_array()) {
    deleted.push_back(JsonString(e.as_object(), "kind") + " " + JsonString(e.as_object(), "name"));
  }
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, (std::vector<std::string>{"backup " + old_backup,
                                               "etcd-snapshot " + old_snapshot}));
  EXPECT_EQ(JsonInt(r, "not_ours"), 1);
  EXPECT_EQ(JsonInt(r, "in_progress"), 1);
  EXPECT_TRUE(r.at("failed").as_array().empty());

  auto const after = loc.Keys();
  EXPECT_FALSE(HasKeyWith(after, old_snapshot)) << "manifest and snapshot both gone";
  EXPECT_FALSE(HasKeyWith(after, "backups/" + old_backup + "/"));
  for (std::string kept : {kept_snapshot + ".manifest.json", kept_snapshot + ".db.zst",
                           "backups/" + kept_backup + "/velero-backup.json",
                           "backups/" + kept_backup + "/" + kept_backup + ".tar.gz",
                           "backups/velero-made-" + s + "/velero-backup.json",
                           "backups/running-" + s + "/velero-backup.json",
                           std::string("backups/half-written/half-written.tar.gz"),
                           std::string("notes/readme.txt")}) {
    EXPECT_TRUE(HasKeyWith(after, kept)) << kept;
  }
  // What is left lists as before: the kept snapshot and the three backups with a record.
  auto list = RunKbackup({"--location", loc.url, "-o", "json", "etcd", "list"}, loc.env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out).as_array().size(), 1u) << list.out;
}

}  // namespace
}  // namespace kb::testing
