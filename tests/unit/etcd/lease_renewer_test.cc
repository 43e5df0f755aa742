// LeaseRenewer: the keepalive schedule (TTL/3 after each answer), the local deadline (send
// time + TTL - margin, never the answer's arrival), loss on TTL <= 0 and on a deadline passed
// without an answer, and recovery after a transient failure. Fake stream, FakeClock.
#include "etcd/internal/lease_renewer.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace kb::etcd::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

/// Answers Renew with scripted results; each answer takes `latency` of fake time.
class ScriptedStream final : public KeepAliveStream {
 public:
  explicit ScriptedStream(FakeClock& clock) : clock_(clock) {}
  struct Answer {
    StatusOr<std::int64_t> ttl;
    milliseconds latency{0};
  };
  void Push(StatusOr<std::int64_t> ttl, milliseconds latency = milliseconds(0)) {
    answers_.push_back(Answer{std::move(ttl), latency});
  }
  StatusOr<std::int64_t> Renew(std::int64_t id, TimePoint deadline) override {
    ids_.push_back(id);
    sent_.push_back(clock_.Monotonic());
    deadlines_.push_back(deadline);
    if (answers_.empty()) {
      clock_.Advance(deadline - clock_.Monotonic());
      return DeadlineExceededError("no answer");
    }
    Answer a = std::move(answers_.front());
    answers_.pop_front();
    clock_.Advance(a.latency);
    return std::move(a.ttl);
  }
  void Cancel() override {}

  std::vector<std::int64_t> ids_;
  std::vector<TimePoint> sent_;
  std::vector<TimePoint> deadlines_;

 private:
  FakeClock& clock_;
  std::deque<Answer> answers_;
};

class LeaseRenewerTest : public ::testing::Test {
 protected:
  Lease Granted(seconds ttl) { return Lease{0x42, ttl, clock_.Monotonic()}; }
  FakeClock clock_;
  ScriptedStream stream_{clock_};
};

TEST_F(LeaseRenewerTest, RenewsAtOnceThenEveryThirdOfTheTtl) {
  LeaseRenewer r(stream_, clock_, Granted(seconds(9)), milliseconds(0), milliseconds(500));
  for (int i = 0; i < 3; ++i) stream_.Push(9);
  auto const t0 = clock_.Monotonic();
  auto next = r.Step();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, t0 + seconds(3));
  EXPECT_EQ(stream_.ids_, std::vector<std::int64_t>{0x42});
  clock_.Advance(seconds(1));
  EXPECT_EQ(r.Step(), t0 + seconds(3));  // not due yet: nothing sent
  EXPECT_EQ(stream_.ids_.size(), 1u);
  clock_.Advance(seconds(2));
  EXPECT_EQ(r.Step(), t0 + seconds(6));
  EXPECT_EQ(stream_.ids_.size(), 2u);
  EXPECT_EQ(r.renewals(), 2);
  EXPECT_TRUE(r.status().ok());
}

TEST_F(LeaseRenewerTest, DeadlineCountsFromTheSendTimeMinusTheMargin) {
  Lease lease = Granted(seconds(9));
  LeaseRenewer r(stream_, clock_, lease, milliseconds(1500), milliseconds(500));
  EXPECT_EQ(r.deadline(), lease.granted_at + seconds(9) - milliseconds(1500));
  auto const sent = clock_.Monotonic();
  stream_.Push(9, milliseconds(2000));  // a slow answer: the lease was renewed at most at `sent`
  auto next = r.Step();
  EXPECT_EQ(r.deadline(), sent + seconds(9) - milliseconds(1500));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, sent + milliseconds(2000) + seconds(3));  // TTL/3 after the answer
}

TEST_F(LeaseRenewerTest, ATtlOfZeroLosesTheLeaseAtOnce) {
  LeaseRenewer r(stream_, clock_, Granted(seconds(9)), milliseconds(0), milliseconds(500));
  stream_.Push(0);
  EXPECT_FALSE(r.Step().has_value());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("expired or was revoked"), std::string::npos);
  EXPECT_FALSE(r.Step().has_value());
  EXPECT_EQ(stream_.ids_.size(), 1u);  // nothing more sent
}

TEST_F(LeaseRenewerTest, FailuresRetryUntilTheDeadlineThenTheLeaseIsLost) {
  Lease lease = Granted(seconds(6));
  LeaseRenewer r(stream_, clock_, lease, milliseconds(1000), milliseconds(500));
  auto const deadline = lease.granted_at + seconds(5);
  int steps = 0;
  std::optional<TimePoint> next = clock_.Monotonic();
  for (; next.has_value() && steps < 100; ++steps) {
    stream_.Push(UnavailableError("etcd at http://127.0.0.1:1 is unavailable"));
    clock_.Advance(*next - clock_.Monotonic());
    next = r.Step();
    if (next) {
      EXPECT_LE(*next, deadline);
    }
  }
  EXPECT_FALSE(next.has_value());
  EXPECT_EQ(clock_.Monotonic(), deadline);  // lost exactly at the local deadline
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("unavailable"), std::string::npos);  // the last error
  EXPECT_EQ(r.renewals(), 0);
  for (std::size_t i = 1; i < stream_.sent_.size(); ++i) {
    EXPECT_EQ(stream_.sent_[i] - stream_.sent_[i - 1], milliseconds(500));  // retry_delay
  }
}

TEST_F(LeaseRenewerTest, AnAnswerIsAwaitedAtMostUntilTheDeadline) {
  Lease lease = Granted(seconds(3));
  LeaseRenewer r(stream_, clock_, lease, milliseconds(1000), milliseconds(500));
  clock_.Advance(milliseconds(1500));
  (void)r.Step();  // no answer scripted: the stream waits until the deadline it was given
  ASSERT_EQ(stream_.deadlines_.size(), 1u);
  EXPECT_EQ(stream_.deadlines_[0], lease.granted_at + seconds(2));
  EXPECT_FALSE(r.Step().has_value());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(LeaseRenewerTest, ARenewalAfterFailuresMovesTheDeadlineOn) {
  Lease lease = Granted(seconds(9));
  LeaseRenewer r(stream_, clock_, lease, milliseconds(0), milliseconds(500));
  stream_.Push(UnavailableError("down"));
  auto next = r.Step();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, lease.granted_at + milliseconds(500));
  clock_.Advance(milliseconds(500));
  auto const sent = clock_.Monotonic();
  stream_.Push(9);
  ASSERT_TRUE(r.Step().has_value());
  EXPECT_EQ(r.deadline(), sent + seconds(9));
  EXPECT_EQ(r.renewals(), 1);
  EXPECT_TRUE(r.status().ok());
}

}  // namespace
}  // namespace kb::etcd::internal
