// VerifySnapshotFile and SnapshotVerifierSink on crafted `db || sha256(db)` files
// (etcd-api.md §2.2).

#include "etcd/snapshot_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "agent/base/crypto.h"
#include "tests/support/test_env.h"

namespace kb::etcd {
namespace {

std::string Db(std::size_t n) {
  std::string db(n, '\0');
  for (std::size_t i = 0; i < n; ++i) db[i] = static_cast<char>((i * 131) >> 3);
  return db;
}

std::string WithTrailer(std::string const& db) { return db + HexDecode(Sha256Hex(db)); }

std::string WriteFile(kb::testing::TempDir const& dir, std::string const& name,
                      std::string const& data) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

TEST(VerifySnapshotFile, GoodFilePasses) {
  kb::testing::TempDir dir;
  std::string const db = Db(8 * 4096);
  auto check = VerifySnapshotFile(WriteFile(dir, "good.db", WithTrailer(db)));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->file_bytes, db.size() + 32);
  EXPECT_EQ(check->db_bytes, db.size());
  EXPECT_EQ(check->db_sha256_hex, Sha256Hex(db));
}

TEST(VerifySnapshotFile, LargerThanOneReadBufferPasses) {
  kb::testing::TempDir dir;
  std::string const db = Db(3 * (1 << 20) + 4096);
  EXPECT_TRUE(VerifySnapshotFile(WriteFile(dir, "big.db", WithTrailer(db))).ok());
}

TEST(VerifySnapshotFile, FlippedByteIsDataLossNamingTheFile) {
  kb::testing::TempDir dir;
  std::string data = WithTrailer(Db(4 * 4096));
  data[5000] ^= 0x01;
  std::string path = WriteFile(dir, "flipped.db", data);
  auto check = VerifySnapshotFile(path);
  ASSERT_EQ(check.status().code(), StatusCode::kDataLoss);
  std::string const& m = check.status().message();
  EXPECT_EQ(m.rfind(path + ": snapshot hash mismatch: expected ", 0), 0u) << m;
  EXPECT_NE(m.find("the file is corrupt, do not restore it"), std::string::npos) << m;
}

TEST(VerifySnapshotFile, FlippedTrailerByteIsDataLoss) {
  kb::testing::TempDir dir;
  std::string data = WithTrailer(Db(4096));
  data.back() ^= 0x80;
  EXPECT_EQ(VerifySnapshotFile(WriteFile(dir, "t.db", data)).status().code(),
            StatusCode::kDataLoss);
}

TEST(VerifySnapshotFile, TruncatedFileHasNoTrailer) {
  kb::testing::TempDir dir;
  std::string data = WithTrailer(Db(4 * 4096));
  data.pop_back();
  std::string path = WriteFile(dir, "short.db", data);
  auto check = VerifySnapshotFile(path);
  ASSERT_EQ(check.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(check.status().message().rfind(
                path + ": no sha256 trailer (size 16415 is not a multiple of 512 plus 32)", 0),
            0u)
      << check.status().message();
}

TEST(VerifySnapshotFile, RawDbWithoutTrailerIsDataLoss) {
  kb::testing::TempDir dir;
  auto check = VerifySnapshotFile(WriteFile(dir, "raw.db", Db(4 * 4096)));
  ASSERT_EQ(check.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(check.status().message().find("no sha256 trailer (size 16384"), std::string::npos);
}

TEST(VerifySnapshotFile, EmptyFileIsDataLoss) {
  kb::testing::TempDir dir;
  EXPECT_EQ(VerifySnapshotFile(WriteFile(dir, "empty.db", "")).status().code(),
            StatusCode::kDataLoss);
}

TEST(VerifySnapshotFile, MissingFileIsNotFound) {
  kb::testing::TempDir dir;
  auto check = VerifySnapshotFile(dir.path() + "/nope.db");
  EXPECT_EQ(check.status().code(), StatusCode::kNotFound);
  EXPECT_NE(check.status().message().find("nope.db"), std::string::npos);
}

/// Collects into memory; records whether Finish was called (owned by the verifier).
struct Probe {
  std::string data;
  bool finished = false;
};
class ProbeSink final : public ChunkSink {
 public:
  explicit ProbeSink(Probe& p) : p_(p) {}
  Status Write(ByteSpan c) override {
    p_.data.append(reinterpret_cast<char const*>(c.data()), c.size());
    return OkStatus();
  }
  Status Finish() override {
    p_.finished = true;
    return OkStatus();
  }

 private:
  Probe& p_;
};

Status Feed(SnapshotVerifierSink& sink, std::string const& data, std::size_t chunk) {
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    KB_RETURN_IF_ERROR(sink.Write(AsBytes(std::string_view(data).substr(i, chunk))));
  }
  return sink.Finish();
}

class SnapshotVerifierSinkChunks : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SnapshotVerifierSinkChunks, GoodStreamForwardsEveryByteAndFinishes) {
  std::string const db = Db(2 * 4096);
  Probe probe;
  SnapshotVerifierSink sink(std::make_unique<ProbeSink>(probe));
  ASSERT_TRUE(Feed(sink, WithTrailer(db), GetParam()).ok());
  EXPECT_TRUE(probe.finished);
  EXPECT_EQ(probe.data, WithTrailer(db));
  EXPECT_EQ(sink.db_bytes(), db.size());
  EXPECT_EQ(sink.db_sha256_hex(), Sha256Hex(db));
}

TEST_P(SnapshotVerifierSinkChunks, CorruptStreamIsDataLossAndNotFinished) {
  std::string data = WithTrailer(Db(2 * 4096));
  data[100] ^= 0x10;
  Probe probe;
  SnapshotVerifierSink sink(std::make_unique<ProbeSink>(probe));
  Status st = Feed(sink, data, GetParam());
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("snapshot hash mismatch: expected "), std::string::npos);
  EXPECT_FALSE(probe.finished);
}

INSTANTIATE_TEST_SUITE_P(ChunkSizes, SnapshotVerifierSinkChunks,
                         ::testing::Values(1, 7, 31, 32, 33, 4096, 1 << 20));

TEST(SnapshotVerifierSink, NoTrailerIsDataLossAndNotFinished) {
  Probe probe;
  SnapshotVerifierSink sink(std::make_unique<ProbeSink>(probe));
  Status st = Feed(sink, Db(4096), 1000);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("no sha256 trailer (size 4096"), std::string::npos);
  EXPECT_FALSE(probe.finished);
}

}  // namespace
}  // namespace kb::etcd
