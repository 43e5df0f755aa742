// Go durations and RFC 3339 times: parsed without throwing, whatever the input.
#include "agent/base/clock.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(ParseGoDuration, UnitsAndCombinations) {
  std::chrono::seconds d{};
  ASSERT_TRUE(ParseGoDuration("720h", d));
  EXPECT_EQ(d, std::chrono::hours(720));
  ASSERT_TRUE(ParseGoDuration("1h30m15s", d));
  EXPECT_EQ(d, std::chrono::seconds(5415));
  ASSERT_TRUE(ParseGoDuration("2d", d));
  EXPECT_EQ(d, std::chrono::hours(48));
  EXPECT_EQ(FormatGoDuration(std::chrono::hours(720)), "720h0m0s");
}

TEST(ParseGoDuration, BadInputIsFalseNeverAThrowNorAnOverflow) {
  std::chrono::seconds d{};
  for (std::string bad : {"", "h", "10", "10x", "5ms", "1h30", "-5m", "99999999999999999999h",
                          "9999999999999h", "999999999999d999999999999d999999999999d"}) {
    EXPECT_FALSE(ParseGoDuration(bad, d)) << bad;
  }
}

TEST(Rfc3339, RoundTrip) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseRfc3339("2026-11-24T02:00:04Z", t));
  EXPECT_EQ(FormatRfc3339(t), "2026-11-24T02:00:04Z");
  EXPECT_EQ(FormatCompactUtc(t), "20261124T020004Z");
  EXPECT_FALSE(ParseRfc3339("yesterday", t));
}

}  // namespace
}  // namespace kb
