// The client side of the Maintenance.Snapshot stream: trailer state machine (etcd-api.md §2.1)
// driven by a fake stream.

#include "etcd/internal/snapshot_stream.h"

#include <gtest/gtest.h>

#include <deque>

#include "agent/base/crypto.h"

namespace kb::etcd::internal {
namespace {

using etcdserverpb::SnapshotResponse;

/// Replays messages, then ends with `end` (OK = clean end of stream).
class FakeSnapshotStream final : public SnapshotStream {
 public:
  FakeSnapshotStream(std::deque<SnapshotResponse> msgs, Status end = OkStatus())
      : msgs_(std::move(msgs)), end_(std::move(end)) {}
  StatusOr<bool> Next(SnapshotResponse& msg) override {
    if (msgs_.empty()) {
      if (!end_.ok()) return end_;
      return false;
    }
    msg = msgs_.front();
    msgs_.pop_front();
    return true;
  }

 private:
  std::deque<SnapshotResponse> msgs_;
  Status end_;
};

SnapshotResponse Msg(std::uint64_t remaining, std::string blob, std::string version = "") {
  SnapshotResponse m;
  m.set_remaining_bytes(remaining);
  m.set_blob(std::move(blob));
  m.set_version(std::move(version));
  return m;
}

std::string Db(std::size_t n) {
  std::string db(n, '\0');
  for (std::size_t i = 0; i < n; ++i) db[i] = static_cast<char>(i * 31 + 7);
  return db;
}

std::string RawSha(std::string const& data) { return HexDecode(Sha256Hex(data)); }

/// What the server sends for `db`: chunks of `chunk` bytes, then the sha256 trailer.
std::deque<SnapshotResponse> ServerMessages(std::string const& db, std::size_t chunk,
                                            std::string version = "") {
  std::deque<SnapshotResponse> out;
  for (std::size_t sent = 0; sent < db.size(); sent += chunk) {
    std::string part = db.substr(sent, chunk);
    out.push_back(Msg(db.size() - sent - part.size(), part, version));
  }
  out.push_back(Msg(0, RawSha(db), version));
  return out;
}

TEST(SnapshotStream, GoodStreamWritesDbAndTrailerThenFinishes) {
  std::string const db = Db(3 * 4096);
  FakeSnapshotStream stream(ServerMessages(db, 1000));
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "https://e:2379", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(sink.finished());
  EXPECT_EQ(sink.data(), db + RawSha(db));  // the file etcdutl restores without flags
  EXPECT_EQ(r->db_bytes, db.size());
  EXPECT_EQ(r->db_sha256_hex, Sha256Hex(db));
  EXPECT_EQ(r->storage_version, "");
}

TEST(SnapshotStream, RecordsThe36StorageVersion) {
  std::string const db = Db(4096);
  FakeSnapshotStream stream(ServerMessages(db, 32 * 1024, "3.6.0"));
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "e", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->storage_version, "3.6.0");
}

TEST(SnapshotStream, ReportsProgressAgainstTheAnnouncedTotal) {
  std::string const db = Db(4096);
  FakeSnapshotStream stream(ServerMessages(db, 1024));
  CollectingSink sink;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto r = ReadSnapshotStream(stream, sink, "e",
                              [&](std::uint64_t d, std::uint64_t t) { calls.emplace_back(d, t); });
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls.front(), std::make_pair(std::uint64_t{1024}, std::uint64_t{4096 + 32}));
  EXPECT_EQ(calls.back(), std::make_pair(std::uint64_t{4096 + 32}, std::uint64_t{4096 + 32}));
}

TEST(SnapshotStream, WrongTrailerIsDataLossAndSinkNotFinished) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  std::string bad = msgs.back().blob();
  bad[5] ^= 1;
  msgs.back().set_blob(bad);
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "https://e:2379", {});
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("hash mismatch"), std::string::npos);
  EXPECT_NE(r.status().message().find("https://e:2379"), std::string::npos);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, FlippedDataByteIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  std::string blob = msgs[1].blob();
  blob[0] ^= 0x40;
  msgs[1].set_blob(blob);
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  EXPECT_EQ(ReadSnapshotStream(stream, sink, "e", {}).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, EndBeforeLastDataChunkIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  msgs.resize(2);
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "e", {});
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("2048 of 4096"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, EndWithoutTrailerIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  msgs.pop_back();
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "e", {});
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("without the sha256 trailer"), std::string::npos);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, ShortTrailerIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 4096);
  msgs.back().set_blob(msgs.back().blob().substr(0, 31));
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  EXPECT_EQ(ReadSnapshotStream(stream, sink, "e", {}).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, MessageAfterTrailerIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 4096);
  msgs.push_back(Msg(0, "extra"));
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "e", {});
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("after the sha256 trailer"), std::string::npos);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, InconsistentRemainingBytesIsDataLoss) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  msgs[1].set_remaining_bytes(5000);  // more than announced
  FakeSnapshotStream stream(msgs);
  CollectingSink sink;
  EXPECT_EQ(ReadSnapshotStream(stream, sink, "e", {}).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, EmptyStreamIsDataLoss) {
  FakeSnapshotStream stream({});
  CollectingSink sink;
  EXPECT_EQ(ReadSnapshotStream(stream, sink, "e", {}).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(sink.finished());
}

TEST(SnapshotStream, StreamErrorPassesThroughUnfinished) {
  std::string const db = Db(4096);
  auto msgs = ServerMessages(db, 1024);
  msgs.resize(1);
  FakeSnapshotStream stream(msgs, UnavailableError("etcd at e is unavailable"));
  CollectingSink sink;
  auto r = ReadSnapshotStream(stream, sink, "e", {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(sink.finished());
}

/// Fails the Nth write.
class FailingSink final : public ChunkSink {
 public:
  Status Write(ByteSpan) override {
    return ++writes_ == 2 ? ResourceExhaustedError("disk full") : OkStatus();
  }
  Status Finish() override { return InternalError("must not be called"); }

 private:
  int writes_ = 0;
};

TEST(SnapshotStream, SinkErrorStopsTheStream) {
  std::string const db = Db(4096);
  FakeSnapshotStream stream(ServerMessages(db, 1024));
  FailingSink sink;
  EXPECT_EQ(ReadSnapshotStream(stream, sink, "e", {}).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kb::etcd::internal
