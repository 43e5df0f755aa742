#include "agent/base/zstd_sink.h"

#include <gtest/gtest.h>

#include <random>

namespace kb {
namespace {

/// A sink that forwards into a CollectingSink it does not own.
class Forward final : public ChunkSink {
 public:
  explicit Forward(CollectingSink& to) : to_(to) {}
  Status Write(ByteSpan c) override { return to_.Write(c); }
  Status Finish() override { return to_.Finish(); }

 private:
  CollectingSink& to_;
};

std::string Compress(std::string const& in, int workers) {
  CollectingSink out;
  auto z = ZstdCompressSink::Create(3, workers, std::make_unique<Forward>(out));
  EXPECT_TRUE(z.ok());
  for (std::size_t i = 0; i < in.size(); i += 7919) {
    EXPECT_TRUE((*z)->Write(AsBytes(std::string_view(in).substr(i, 7919))).ok());
  }
  EXPECT_TRUE((*z)->Finish().ok());
  return out.data();
}

std::string Payload() {
  std::mt19937 rng(7);
  std::string s;
  for (int i = 0; i < 300000; ++i) s.push_back(static_cast<char>('a' + rng() % 4));
  return s;
}

TEST(ZstdSink, RoundTripSingleAndMultiThreaded) {
  std::string in = Payload();
  for (int workers : {0, 2}) {
    std::string z = Compress(in, workers);
    EXPECT_LT(z.size(), in.size());
    CollectingSink plain;
    ZstdDecompressSink d(std::make_unique<Forward>(plain));
    ASSERT_TRUE(d.Write(AsBytes(z)).ok());
    ASSERT_TRUE(d.Finish().ok());
    EXPECT_EQ(plain.data(), in);
    EXPECT_TRUE(plain.finished());
  }
}

TEST(ZstdSink, TruncatedStreamIsDataLoss) {
  std::string z = Compress(Payload(), 0);
  CollectingSink plain;
  ZstdDecompressSink d(std::make_unique<Forward>(plain));
  ASSERT_TRUE(d.Write(AsBytes(std::string_view(z).substr(0, z.size() - 10))).ok());
  Status st = d.Finish();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_FALSE(plain.finished());
}

TEST(ZstdSink, FlippedByteIsDataLoss) {
  std::string z = Compress(Payload(), 0);
  z[z.size() / 2] ^= 0x40;
  CollectingSink plain;
  ZstdDecompressSink d(std::make_unique<Forward>(plain));
  Status st = d.Write(AsBytes(z));
  if (st.ok()) st = d.Finish();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
}

TEST(ZstdSink, RejectsBadLevel) {
  CollectingSink out;
  auto z = ZstdCompressSink::Create(99, 0, std::make_unique<Forward>(out));
  EXPECT_EQ(z.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kb
