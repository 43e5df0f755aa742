// ReadSnapshotDbInfo on small bbolt files built here page by page (meta pages, branch and leaf
// pages, an inline bucket, an overflow page). Real etcd snapshots are covered by
// tests/integration/etcd/etcd_snapshot_test.cc.

#include "etcd/bbolt_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "agent/base/crypto.h"
#include "etcd/internal/bbolt_file.h"
#include "tests/support/test_env.h"

namespace kb::etcd {
namespace {

using namespace kb::etcd::internal;  // NOLINT: layout constants

template <typename T>
void Put(std::string& buf, std::size_t at, T v) {
  std::memcpy(buf.data() + at, &v, sizeof v);
}

std::string Header(std::uint64_t id, std::uint16_t flags, std::uint16_t count,
                   std::uint32_t overflow = 0) {
  std::string h(kBboltPageHeaderBytes, '\0');
  Put(h, 0, id);
  Put(h, 8, flags);
  Put(h, 10, count);
  Put(h, 12, overflow);
  return h;
}

struct LeafElem {
  std::uint32_t flags;
  std::string key, value;
};

std::string LeafPage(std::uint64_t id, std::vector<LeafElem> const& elems,
                     std::uint32_t overflow = 0) {
  std::string page = Header(id, kBboltLeafPage, static_cast<std::uint16_t>(elems.size()), overflow);
  std::string data;
  std::size_t const elems_end = kBboltPageHeaderBytes + elems.size() * kBboltElementBytes;
  page.resize(elems_end);
  for (std::size_t i = 0; i < elems.size(); ++i) {
    std::size_t const at = kBboltPageHeaderBytes + i * kBboltElementBytes;
    Put(page, at, elems[i].flags);
    Put(page, at + 4, static_cast<std::uint32_t>(elems_end + data.size() - at));
    Put(page, at + 8, static_cast<std::uint32_t>(elems[i].key.size()));
    Put(page, at + 12, static_cast<std::uint32_t>(elems[i].value.size()));
    data += elems[i].key + elems[i].value;
  }
  return page + data;
}

std::string BranchPage(std::uint64_t id,
                       std::vector<std::pair<std::string, std::uint64_t>> const& elems) {
  std::string page = Header(id, kBboltBranchPage, static_cast<std::uint16_t>(elems.size()));
  std::size_t const elems_end = kBboltPageHeaderBytes + elems.size() * kBboltElementBytes;
  page.resize(elems_end);
  std::string data;
  for (std::size_t i = 0; i < elems.size(); ++i) {
    std::size_t const at = kBboltPageHeaderBytes + i * kBboltElementBytes;
    Put(page, at, static_cast<std::uint32_t>(elems_end + data.size() - at));
    Put(page, at + 4, static_cast<std::uint32_t>(elems[i].first.size()));
    Put(page, at + 8, elems[i].second);
    data += elems[i].first;
  }
  return page + data;
}

std::string MetaPage(std::uint64_t id, std::uint32_t ps, std::uint64_t root,
                     std::uint64_t high_water, std::uint64_t txid) {
  std::string m(kBboltMetaChecksumOffset + 8, '\0');
  Put(m, 0, kBboltMagic);
  Put(m, 4, kBboltVersion);
  Put(m, 8, ps);
  Put(m, 16, root);
  Put(m, 32, std::uint64_t{2});  // freelist
  Put(m, 40, high_water);
  Put(m, 48, txid);
  Put(m, kBboltMetaChecksumOffset,
      Fnv1a64(std::string_view(m).substr(0, kBboltMetaChecksumOffset)));
  return Header(id, kBboltMetaPage, 0) + m;
}

std::string BucketValue(std::uint64_t root, std::string const& inline_page = "") {
  std::string v(kBboltBucketHeaderBytes, '\0');
  Put(v, 0, root);
  return v + inline_page;
}

std::string Rev(std::uint64_t main, std::uint64_t sub = 0, bool tombstone = false) {
  std::string k(17, '_');
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<char>(main >> (56 - 8 * i));
    k[9 + i] = static_cast<char>(sub >> (56 - 8 * i));
  }
  return tombstone ? k + "t" : k;
}

/// An etcd-like DB: meta1 (txid 2) → root 3: "key" (branch 4 → leaves 5, 6+overflow 7) and
/// inline "meta"; meta0 (txid 1) → older root 8 with an inline "key" holding revision 1 only.
struct DbBuilder {
  std::uint32_t ps = 4096;
  std::uint64_t branch_child = 5;  // first child of the branch page
  bool with_key_bucket = true;
  std::string Build() const {
    std::uint64_t const high_water = 9;
    std::string db(high_water * ps, '\0');
    auto place = [&](std::uint64_t id, std::string const& page) {
      ASSERT_LE(id * ps + page.size(), db.size());
      db.replace(id * ps, page.size(), page);
    };
    place(0, MetaPage(0, ps, 8, high_water, 1));
    place(1, MetaPage(1, ps, 3, high_water, 2));
    place(2, Header(2, 0x10, 0));  // freelist, empty
    std::string meta_inline = LeafPage(0, {{0, "consistent_index", std::string(8, '\x07')}});
    std::vector<LeafElem> root;
    if (with_key_bucket) root.push_back({kBboltBucketLeafFlag, "key", BucketValue(4)});
    root.push_back({kBboltBucketLeafFlag, "meta", BucketValue(0, meta_inline)});
    place(3, LeafPage(3, root));
    place(4, BranchPage(4, {{Rev(1), branch_child}, {Rev(4), 6}}));
    place(5, LeafPage(5, {{0, Rev(1), "v1"}, {0, Rev(2), "v2"}, {0, Rev(3, 0), "v3"}}));
    // Page 6 spills into page 7: a 5000-byte value.
    place(6, LeafPage(6, {{0, Rev(4), "v4"}, {0, Rev(5, 1), std::string(5000, 'x')},
                          {0, Rev(6, 0, true), ""}},
                      /*overflow=*/1));
    std::string old_key = LeafPage(0, {{0, Rev(1), "v1"}});
    place(8, LeafPage(8, {{kBboltBucketLeafFlag, "key", BucketValue(0, old_key)}}));
    return db;
  }
};

std::string Write(kb::testing::TempDir const& dir, std::string const& data) {
  std::string path = dir.path() + "/db";
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

TEST(BboltReader, ReadsRevisionKeyCountAndBuckets) {
  kb::testing::TempDir dir;
  auto info = ReadSnapshotDbInfo(Write(dir, DbBuilder().Build()));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->revision, 6);  // the tombstone's revision counts too
  EXPECT_EQ(info->total_keys, 6);
  EXPECT_EQ(info->buckets, (std::vector<std::string>{"key", "meta"}));
  EXPECT_EQ(info->page_size, 4096u);
  EXPECT_EQ(info->txid, 2u);
  EXPECT_EQ(info->db_bytes, 9u * 4096);
}

TEST(BboltReader, IgnoresTheSha256Trailer) {
  kb::testing::TempDir dir;
  std::string db = DbBuilder().Build();
  auto info = ReadSnapshotDbInfo(Write(dir, db + HexDecode(Sha256Hex(db))));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->revision, 6);
  EXPECT_EQ(info->db_bytes, db.size());
}

TEST(BboltReader, ReadsOtherPageSizes) {
  kb::testing::TempDir dir;
  DbBuilder b;
  b.ps = 16384;
  auto info = ReadSnapshotDbInfo(Write(dir, b.Build()));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->page_size, 16384u);
  EXPECT_EQ(info->revision, 6);
}

TEST(BboltReader, CorruptNewestMetaFallsBackToTheOlder) {
  kb::testing::TempDir dir;
  std::string db = DbBuilder().Build();
  db[4096 + kBboltPageHeaderBytes + 48] ^= 1;  // meta 1's txid: checksum no longer matches
  auto info = ReadSnapshotDbInfo(Write(dir, db));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->txid, 1u);
  EXPECT_EQ(info->revision, 1);
  EXPECT_EQ(info->total_keys, 1);
}

TEST(BboltReader, CorruptMeta0StillFindsThePageSizeFromMeta1) {
  kb::testing::TempDir dir;
  std::string db = DbBuilder().Build();
  db[kBboltPageHeaderBytes] ^= 1;  // meta 0's magic
  auto info = ReadSnapshotDbInfo(Write(dir, db));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->txid, 2u);
  EXPECT_EQ(info->revision, 6);
}

TEST(BboltReader, NotABboltFileIsDataLoss) {
  kb::testing::TempDir dir;
  auto info = ReadSnapshotDbInfo(Write(dir, std::string(8192, 'z')));
  ASSERT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(info.status().message().find("no valid meta page"), std::string::npos);
}

TEST(BboltReader, NoKeyBucketIsDataLoss) {
  kb::testing::TempDir dir;
  DbBuilder b;
  b.with_key_bucket = false;
  auto info = ReadSnapshotDbInfo(Write(dir, b.Build()));
  ASSERT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(info.status().message().find("no \"key\" bucket"), std::string::npos);
}

TEST(BboltReader, ChildPageOutsideTheDbIsDataLoss) {
  kb::testing::TempDir dir;
  DbBuilder b;
  b.branch_child = 100;
  auto info = ReadSnapshotDbInfo(Write(dir, b.Build()));
  ASSERT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(info.status().message().find("page 100"), std::string::npos);
}

TEST(BboltReader, CycleInTheTreeIsDataLossNotACrash) {
  kb::testing::TempDir dir;
  DbBuilder b;
  b.branch_child = 4;  // the branch page points at itself
  EXPECT_EQ(ReadSnapshotDbInfo(Write(dir, b.Build())).status().code(), StatusCode::kDataLoss);
}

TEST(BboltReader, TruncatedFileIsDataLoss) {
  kb::testing::TempDir dir;
  std::string db = DbBuilder().Build();
  db.resize(6 * 4096);
  EXPECT_EQ(ReadSnapshotDbInfo(Write(dir, db)).status().code(), StatusCode::kDataLoss);
}

TEST(BboltReader, MissingFileIsNotFound) {
  kb::testing::TempDir dir;
  EXPECT_EQ(ReadSnapshotDbInfo(dir.path() + "/none").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kb::etcd
