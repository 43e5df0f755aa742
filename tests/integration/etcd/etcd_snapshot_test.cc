// EtcdClient::Snapshot against real etcd 3.4 and 3.6: the file it writes verifies, restores
// with the member's own tool without --skip-hash-check, and its bbolt revision equals what
// `etcdutl`/`etcdctl snapshot status` reports.

#include <gtest/gtest.h>

#include <algorithm>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "etcd/bbolt_reader.h"
#include "etcd/etcd_client.h"
#include "etcd/snapshot_file.h"
#include "tests/integration/etcd/etcd_test_env.h"

namespace kb::etcd {
namespace {

using kb::testing::EtcdServer;
using kb::testing::GetEtcdServer;
using kb::testing::TempDir;

std::string PrefixEnd(std::string prefix) {
  prefix.back() += 1;
  return prefix;
}

class EtcdSnapshotTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto c = EtcdClient::Connect(testing::TlsOptions(server_));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
  }
  /// Snapshots into `path` through an AtomicFileSink.
  SnapshotInfo SnapshotToFile(std::string const& path) {
    auto sink = AtomicFileSink::Create(path);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return {};
    auto info = client_->Snapshot(**sink);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : SnapshotInfo{};
  }
  /// Checks `file` with VerifySnapshotFile, the bbolt reader and the member's own tool; returns
  /// the bbolt info.
  SnapshotDbInfo CheckFile(std::string const& file, SnapshotInfo const& info) {
    auto check = VerifySnapshotFile(file);
    EXPECT_TRUE(check.ok()) << check.status().ToString();
    if (check.ok()) {
      EXPECT_EQ(check->db_bytes, info.db_bytes);
      EXPECT_EQ(check->db_sha256_hex, info.db_sha256_hex);
    }
    auto db = ReadSnapshotDbInfo(file);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return {};
    auto tool = testing::ToolSnapshotStatus(server_, file);
    std::int64_t const tool_revision =
        tool.contains("revision") ? tool.at("revision").to_number<std::int64_t>() : -1;
    EXPECT_EQ(db->revision, tool_revision)
        << server_.restore_tool << " snapshot status disagrees on the revision";
    EXPECT_EQ(db->db_bytes, info.db_bytes);
    EXPECT_GE(db->revision, info.revision_at_start);
    return *db;
  }

  EtcdServer server_ = GetEtcdServer(GetParam());
  std::unique_ptr<EtcdClient> client_;
};

TEST_P(EtcdSnapshotTest, FileVerifiesRestoresWithTheRealToolAndKeepsTheRevision) {
  if (!client_) return;
  std::string const prefix = "/kbtest/snapshot/" + std::to_string(::getpid()) + "/";
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(client_->Put(prefix + std::to_string(i), std::string(64, 'a' + i % 26)).ok());
  }
  // Tombstones: delete keys 200..299 (they sort as "2", "20", "200", ... within the prefix).
  ASSERT_EQ(client_->Delete(prefix + "2", prefix + "3").value(), 111);
  TempDir tmp;
  std::string const file = tmp.path() + "/snap.db";
  SnapshotInfo info = SnapshotToFile(file);
  EXPECT_EQ(info.endpoint, server_.endpoint);
  EXPECT_GT(info.db_bytes, 300u * 64);
  EXPECT_EQ(info.db_bytes % 4096, 0u);
  EXPECT_EQ(info.etcd_version.substr(0, 4), GetParam() == "ETCD34" ? "3.4." : "3.6.");
  EXPECT_EQ(info.storage_version.empty(), GetParam() == "ETCD34") << info.storage_version;
  SnapshotDbInfo db = CheckFile(file, info);
  EXPECT_GE(db.total_keys, 300 + 111);
  EXPECT_LE(db.revision, client_->CurrentRevision().value());
  EXPECT_NE(std::find(db.buckets.begin(), db.buckets.end(), "meta"), db.buckets.end());

  // The real tool restores it without --skip-hash-check; etcd starts on the result with the
  // keys and the revision of the snapshot.
  std::string const data_dir = tmp.path() + "/restored";
  std::string const peer = "http://127.0.0.1:" + std::to_string(kb::testing::FreePort());
  auto r = testing::ToolRestore(server_, file, data_dir, "restored", peer);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  kb::testing::ScratchEtcd restored(server_.bin, data_dir, "restored", peer);
  ASSERT_TRUE(restored.ready()) << "etcd did not start on the restored data dir, see "
                                << restored.log();
  EtcdConnectOptions o;
  o.endpoints = {restored.endpoint()};
  auto rc = EtcdClient::Connect(o);
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  auto keys = (*rc)->Range(prefix, PrefixEnd(prefix));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->count, 300 - 111);
  EXPECT_EQ(keys->revision, db.revision);
}

TEST_P(EtcdSnapshotTest, LargeDbWithBranchPagesMatchesTheToolRevision) {
  if (!client_) return;
  // 5,000 keys of ~150 bytes fill >180 leaf pages of 4 KiB, so "key" has branch pages.
  std::string const prefix = "/kbtest/large/";
  auto have = client_->Range(prefix, PrefixEnd(prefix), 1);
  ASSERT_TRUE(have.ok()) << have.status().ToString();
  for (std::int64_t i = have->count; i < 5000; ++i) {
    ASSERT_TRUE(client_->Put(prefix + std::to_string(i), std::string(128, 'L')).ok());
  }
  ASSERT_TRUE(client_->Delete(prefix + "42").ok());
  ASSERT_TRUE(client_->Put(prefix + "42", "back").ok());
  TempDir tmp;
  std::string const file = tmp.path() + "/large.db";
  SnapshotInfo info = SnapshotToFile(file);
  EXPECT_GT(info.db_bytes, 5000u * 128);
  SnapshotDbInfo db = CheckFile(file, info);
  EXPECT_GE(db.total_keys, 5000);
}

TEST_P(EtcdSnapshotTest, StreamIsDbThenTrailerWithProgress) {
  if (!client_) return;
  CollectingSink sink;
  std::uint64_t last_done = 0, last_total = 0;
  int calls = 0;
  auto info = client_->Snapshot(sink, [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
    ++calls;
  });
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(sink.finished());
  ASSERT_EQ(sink.data().size(), info->db_bytes + kSnapshotTrailerBytes);
  std::string_view const data(sink.data());
  EXPECT_EQ(Sha256Hex(data.substr(0, info->db_bytes)), info->db_sha256_hex);
  EXPECT_EQ(HexEncode(data.substr(info->db_bytes)), info->db_sha256_hex);
  EXPECT_GT(calls, 1);
  EXPECT_EQ(last_done, sink.data().size());
  EXPECT_EQ(last_total, sink.data().size());
}

INSTANTIATE_TEST_SUITE_P(Real, EtcdSnapshotTest, ::testing::ValuesIn(testing::kEtcdVersions));

}  // namespace
}  // namespace kb::etcd
