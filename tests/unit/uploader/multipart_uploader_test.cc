// The upload engine's own rules on FileObjectStore: part-size growth, which failures are retried
// (and which calls never are), the part pool's backpressure and first-error semantics.
#include "uploader/multipart_uploader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "tests/support/counting_object_store.h"
#include "tests/support/test_env.h"
#include "uploader/file_object_store.h"
#include "uploader/internal/part_pool.h"
#include "uploader/upload_journal.h"

namespace kb::uploader {
namespace {

namespace fs = std::filesystem;
using kb::testing::CountingObjectStore;
using kb::testing::TempDir;

constexpr std::uint64_t kMiB = 1ull << 20;

TEST(ChoosePartSize, KeepsTheRequestedSizeWhenItFits) {
  StoreCapabilities caps;
  EXPECT_EQ(*ChoosePartSize(100 * kMiB, 16 * kMiB, caps), 16 * kMiB);
  EXPECT_EQ(*ChoosePartSize(0, 16 * kMiB, caps), 16 * kMiB);
  EXPECT_EQ(*ChoosePartSize(10'000 * 16 * kMiB, 16 * kMiB, caps), 16 * kMiB);  // exactly 10,000
}

TEST(ChoosePartSize, RaisesToTheStoreMinimum) {
  EXPECT_EQ(*ChoosePartSize(100 * kMiB, 1 * kMiB, StoreCapabilities{}), 5 * kMiB);
}

TEST(ChoosePartSize, GrowsSoTheObjectNeedsAtMostMaxParts) {
  StoreCapabilities caps;
  std::uint64_t total = 10'000 * 16 * kMiB + 1;  // one byte too many for 16 MiB parts
  std::uint64_t size = *ChoosePartSize(total, 16 * kMiB, caps);
  EXPECT_EQ(size, 17 * kMiB);  // rounded up to a MiB multiple
  EXPECT_LE((total + size - 1) / size, 10'000u);
  std::uint64_t one_tib = 1ull << 40;
  size = *ChoosePartSize(one_tib, 16 * kMiB, caps);
  EXPECT_LE((one_tib + size - 1) / size, 10'000u);
  EXPECT_EQ(size % kMiB, 0u);
}

TEST(ChoosePartSize, RefusesObjectsBeyondTheLargestParts) {
  StoreCapabilities caps;
  std::uint64_t too_big = 10'000ull * (5ull << 30) + 1;
  EXPECT_EQ(ChoosePartSize(too_big, 16 * kMiB, caps).status().code(),
            StatusCode::kInvalidArgument);
}

class UploadRetries : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = FileObjectStore::Create(fs::path(dir_.path()) / "store");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    file_ = fs::path(dir_.path()) / "src";
    std::ofstream(file_) << std::string(2 * (5 * kMiB) + 10, 'q');  // 3 parts
    options_.part_size = 5 * kMiB;
    options_.parallelism = 1;
    options_.clock = &clock_;
    options_.retry.max_attempts = 4;
  }
  TempDir dir_;
  std::unique_ptr<FileObjectStore> store_;
  fs::path file_;
  FakeClock clock_;
  UploadOptions options_;
};

TEST_F(UploadRetries, TransientPartFailuresAreRetriedWithBackoff) {
  CountingObjectStore store(*store_);
  store.FailNextUploadParts(2, UnavailableError("connection reset"));
  auto r = UploadFile(store, "k", file_, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.counts().upload_part, 5);  // 3 parts + 2 retries
  EXPECT_EQ(r->parts_sent, 3);
  EXPECT_GT(clock_.slept().count(), 0);
}

TEST_F(UploadRetries, SlowDownIsRetriedToo) {
  CountingObjectStore store(*store_);
  store.FailNextUploadParts(1, ResourceExhaustedError("SlowDown"));
  ASSERT_TRUE(UploadFile(store, "k", file_, options_).ok());
  EXPECT_EQ(store.counts().upload_part, 4);
}

TEST_F(UploadRetries, PermanentPartFailuresAreNotRetriedAndKeepTheJournal) {
  CountingObjectStore store(*store_);
  store.FailNextUploadParts(1, PermissionDeniedError("AccessDenied"));
  auto r = UploadFile(store, "k", file_, options_);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(store.counts().upload_part, 1);
  EXPECT_EQ(store.counts().abort, 0);
  EXPECT_TRUE(fs::exists(DefaultJournalPath(file_)));  // the next run resumes
}

TEST_F(UploadRetries, RetryBudgetIsBoundedAndSaysSo) {
  CountingObjectStore store(*store_);
  store.FailNextUploadParts(100, UnavailableError("connection refused"));
  auto r = UploadFile(store, "k", file_, options_);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("gave up after 4 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(store.counts().upload_part, 4);
}

TEST_F(UploadRetries, CreateMultipartUploadIsNeverRetried) {
  CountingObjectStore store(*store_);
  store.FailNextBeginUpload(UnavailableError("timeout"));
  auto r = UploadFile(store, "k", file_, options_);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.counts().begin_upload, 1);
  EXPECT_FALSE(fs::exists(DefaultJournalPath(file_)));
  // The next run starts cleanly.
  ASSERT_TRUE(UploadFile(store, "k", file_, options_).ok());
}

TEST_F(UploadRetries, ACorruptJournalIsDiscardedAndTheUploadStartsAfresh) {
  std::ofstream(DefaultJournalPath(file_)) << "{\"version\":1,\"key\":";
  auto r = UploadFile(*store_, "k", file_, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->resumed);
  EXPECT_FALSE(fs::exists(DefaultJournalPath(file_)));
}

TEST_F(UploadRetries, ProgressReachesTheTotal) {
  std::uint64_t last_done = 0, last_total = 0;
  int calls = 0;
  options_.progress = [&](std::uint64_t done, std::uint64_t total) {
    last_done = done;
    last_total = total;
    ++calls;
  };
  ASSERT_TRUE(UploadFile(*store_, "k", file_, options_).ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(last_done, fs::file_size(file_));
  EXPECT_EQ(last_total, fs::file_size(file_));
}

TEST(PartPool, FirstErrorSticksAndLaterTasksAreDropped) {
  std::atomic<int> ran{0};
  internal::PartPool pool(2, 2);
  ASSERT_TRUE(pool.Submit([&] { ++ran; return InternalError("boom"); }).ok());
  Status waited = pool.Wait();
  EXPECT_EQ(waited.code(), StatusCode::kInternal);
  EXPECT_EQ(pool.Submit([&] { ++ran; return OkStatus(); }).code(), StatusCode::kInternal);
  EXPECT_EQ(ran.load(), 1);
}

TEST(PartPool, SubmitBlocksWhenTheQueueIsFull) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0}, done{0};
  internal::PartPool pool(1, 1);
  auto task = [&] {
    ++started;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    ++done;
    return OkStatus();
  };
  ASSERT_TRUE(pool.Submit(task).ok());  // runs
  ASSERT_TRUE(pool.Submit(task).ok());  // queued
  std::atomic<bool> third_in{false};
  std::jthread producer([&] {
    IgnoreError(pool.Submit(task));  // blocks: one running, one queued
    third_in = true;
  });
  SystemClock::Instance().SleepFor(std::chrono::milliseconds(100));
  EXPECT_FALSE(third_in.load());
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  producer.join();
  EXPECT_TRUE(pool.Wait().ok());
  EXPECT_EQ(done.load(), 3);
}

}  // namespace
}  // namespace kb::uploader
