// PrefetchSnapshotStream: the messages in order, the end or error of the inner stream, the
// memory bound, and destruction while the reader is blocked inside the inner stream.
#include "etcd/internal/prefetch_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace kb::etcd::internal {
namespace {

using etcdserverpb::SnapshotResponse;

/// Gives `count` messages of `blob_size` bytes numbered in remaining_bytes, then `end`; or,
/// with `block_after`, blocks after that many until Cancel(). Counts what was read.
class CountingStream final : public SnapshotStream {
 public:
  CountingStream(int count, std::size_t blob_size, Status end = OkStatus(), int block_after = -1)
      : count_(count), blob_size_(blob_size), end_(std::move(end)), block_after_(block_after) {}
  StatusOr<bool> Next(SnapshotResponse& msg) override {
    int n = read_.load();
    if (n == block_after_) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return cancelled_; });
      return CancelledError("cancelled");
    }
    if (n == count_) {
      if (!end_.ok()) return end_;
      return false;
    }
    msg.set_remaining_bytes(static_cast<std::uint64_t>(n));
    msg.set_blob(std::string(blob_size_, 'x'));
    read_.fetch_add(1);
    return true;
  }
  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  int read() const { return read_.load(); }
  bool cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  int count_;
  std::size_t blob_size_;
  Status end_;
  int block_after_;
  std::atomic<int> read_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

TEST(PrefetchSnapshotStream, GivesEveryMessageInOrderThenTheEnd) {
  CountingStream inner(1000, 100);
  PrefetchSnapshotStream prefetch(inner, 4096);
  SnapshotResponse msg;
  for (int i = 0; i < 1000; ++i) {
    auto got = prefetch.Next(msg);
    ASSERT_TRUE(got.ok() && *got) << i;
    EXPECT_EQ(msg.remaining_bytes(), static_cast<std::uint64_t>(i));
  }
  auto end = prefetch.Next(msg);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST(PrefetchSnapshotStream, PassesTheInnerErrorAfterTheMessages) {
  CountingStream inner(3, 10, UnavailableError("etcd went away"));
  PrefetchSnapshotStream prefetch(inner, 1 << 20);
  SnapshotResponse msg;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(*prefetch.Next(msg));
  auto end = prefetch.Next(msg);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(end.status().message(), "etcd went away");
}

TEST(PrefetchSnapshotStream, ReadsAheadNoMoreThanTheBound) {
  CountingStream inner(1000, 1000);
  {
    PrefetchSnapshotStream prefetch(inner, 10'000);
    // Nobody consumes: the reader fills the queue (10 messages) and holds one more in hand.
    for (int spins = 0; spins < 200 && inner.read() < 11; ++spins) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(inner.read(), 11);
  }  // destroyed with a full queue: the reader stops
  EXPECT_EQ(inner.read(), 11);
}

TEST(PrefetchSnapshotStream, DestroyedWhileTheReaderBlocksCancelsTheInnerStream) {
  CountingStream inner(100, 10, OkStatus(), /*block_after=*/5);
  {
    PrefetchSnapshotStream prefetch(inner, 1 << 20);
    SnapshotResponse msg;
    ASSERT_TRUE(*prefetch.Next(msg));
  }  // must not hang: the destructor cancels the blocked inner Next()
  EXPECT_TRUE(inner.cancelled());
}

}  // namespace
}  // namespace kb::etcd::internal
