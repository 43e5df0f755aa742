// The one retry loop: transient errors of idempotent calls are retried within the budget, each
// retry reported to RetryPolicy::on_retry (the agent's kbackup_upload_retries_total); other
// errors and non-idempotent calls are returned at once.
#include "agent/base/retry_loop.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kb {
namespace {

TEST(RetryLoop, RetriesTransientErrorsAndReportsEachRetry) {
  FakeClock clock;
  std::vector<std::string> reported;
  RetryPolicy retry;
  retry.on_retry = [&](std::string_view op, Status const& error) {
    reported.push_back(std::string(op) + ": " + std::string(error.message()));
  };
  int calls = 0;
  Status st = RetryLoop(retry, BackoffPolicy{.seed = 1}, Idempotency::kIdempotent, "UploadPart",
                        clock, [&]() -> Status {
                          ++calls;
                          return calls < 3 ? UnavailableError("reset " + std::to_string(calls))
                                           : OkStatus();
                        });
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(reported, (std::vector<std::string>{"UploadPart: reset 1", "UploadPart: reset 2"}));
}

TEST(RetryLoop, NonTransientErrorsAndNonIdempotentCallsAreNotRetried) {
  FakeClock clock;
  int retries = 0;
  RetryPolicy retry;
  retry.on_retry = [&](std::string_view, Status const&) { ++retries; };
  int calls = 0;
  Status denied = RetryLoop(retry, BackoffPolicy{}, Idempotency::kIdempotent, "Put", clock,
                            [&]() -> Status {
                              ++calls;
                              return PermissionDeniedError("no");
                            });
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  Status once = RetryLoop(retry, BackoffPolicy{}, Idempotency::kNonIdempotent, "Begin", clock,
                          [&]() -> Status {
                            ++calls;
                            return UnavailableError("reset");
                          });
  EXPECT_EQ(once.code(), StatusCode::kUnavailable);
  Status cancelled = RetryLoop(retry, BackoffPolicy{}, Idempotency::kIdempotent, "UploadPart",
                               clock, [&]() -> Status {
                                 ++calls;
                                 return CancelledError("shutdown");
                               });
  EXPECT_EQ(cancelled.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(retries, 0);
}

TEST(RetryLoop, ABudgetSpentSaysHowManyAttemptsWereMade) {
  FakeClock clock;
  int retries = 0;
  RetryPolicy retry;
  retry.max_attempts = 4;
  retry.on_retry = [&](std::string_view, Status const&) { ++retries; };
  Status st = RetryLoop(retry, BackoffPolicy{.seed = 3}, Idempotency::kIdempotent, "Stat", clock,
                        [] { return UnavailableError("down"); });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("gave up after 4 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(retries, 3);
}

}  // namespace
}  // namespace kb
