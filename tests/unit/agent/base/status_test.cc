#include "agent/base/status.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError(fmt::format("{} is odd", x));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  KB_ASSIGN_OR_RETURN(int h, Half(x));
  KB_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "3 is odd");
}

TEST(Status, ToStringNamesCode) {
  EXPECT_EQ(UnavailableError("etcd https://127.0.0.1:2379 unreachable").ToString(),
            "UNAVAILABLE: etcd https://127.0.0.1:2379 unreachable");
  EXPECT_EQ(OkStatus().ToString(), "OK");
}

TEST(Status, TransientCodes) {
  EXPECT_TRUE(IsTransient(StatusCode::kUnavailable));
  EXPECT_TRUE(IsTransient(StatusCode::kResourceExhausted));
  EXPECT_TRUE(IsTransient(StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(IsTransient(StatusCode::kPermissionDenied));
  EXPECT_FALSE(IsTransient(StatusCode::kInternal));
}

}  // namespace
}  // namespace kb
