// Expiry: Go durations, days, weeks, calendar months and years (clamped, leap years), bad input.
#include "agent/expiry.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "agent/base/clock.h"

namespace kb::testing {
namespace {

using agent::Expiry;
using TimePoint = std::chrono::system_clock::time_point;

TimePoint Utc(std::string const& text) {
  TimePoint t;
  EXPECT_TRUE(ParseRfc3339(text, t)) << text;
  return t;
}

// When a backup taken at `backup_time` expires, for expiry `text`.
std::string ExpiresAt(std::string_view text, std::string const& backup_time) {
  StatusOr<Expiry> e = Expiry::Parse(text);
  if (!e.ok()) return e.status().ToString();
  return FormatRfc3339(e->ExpiresAt(Utc(backup_time)));
}

TEST(Expiry, GoDurations) {
  EXPECT_EQ(ExpiresAt("720h", "2027-01-01T10:00:00Z"), "2027-01-31T10:00:00Z");
  EXPECT_EQ(ExpiresAt("90m", "2027-01-01T10:00:00Z"), "2027-01-01T11:30:00Z");
  EXPECT_EQ(ExpiresAt("1h30m", "2027-01-01T10:00:00Z"), "2027-01-01T11:30:00Z");
  EXPECT_EQ(ExpiresAt("45s", "2027-01-01T10:00:00Z"), "2027-01-01T10:00:45Z");
  EXPECT_EQ(ExpiresAt("1h0m30s", "2027-01-01T10:00:00Z"), "2027-01-01T11:00:30Z");
}

TEST(Expiry, DaysAndWeeksAreFixedLengths) {
  EXPECT_EQ(ExpiresAt("90d", "2027-01-01T10:00:00Z"), "2027-04-01T10:00:00Z");
  EXPECT_EQ(ExpiresAt("2w", "2027-02-20T10:00:00Z"), "2027-03-06T10:00:00Z");
  EXPECT_EQ(ExpiresAt("1d12h", "2027-01-01T10:00:00Z"), "2027-01-02T22:00:00Z");
  EXPECT_EQ(ExpiresAt("1d", "2028-02-28T10:00:00Z"), "2028-02-29T10:00:00Z");
}

TEST(Expiry, MonthsMoveTheCalendarDateAndKeepTheTimeOfDay) {
  EXPECT_EQ(ExpiresAt("3mo", "2027-01-15T10:20:30Z"), "2027-04-15T10:20:30Z");
  EXPECT_EQ(ExpiresAt("1mo", "2027-12-15T00:00:00Z"), "2028-01-15T00:00:00Z");
  EXPECT_EQ(ExpiresAt("14mo", "2027-11-30T23:59:59Z"), "2029-01-30T23:59:59Z");
}

TEST(Expiry, MonthsClampTheDayToTheMonthsLast) {
  EXPECT_EQ(ExpiresAt("1mo", "2027-01-31T08:00:00Z"), "2027-02-28T08:00:00Z");
  EXPECT_EQ(ExpiresAt("1mo", "2028-01-31T08:00:00Z"), "2028-02-29T08:00:00Z");  // leap year
  EXPECT_EQ(ExpiresAt("1mo", "2027-03-31T08:00:00Z"), "2027-04-30T08:00:00Z");
  EXPECT_EQ(ExpiresAt("2mo", "2027-12-31T08:00:00Z"), "2028-02-29T08:00:00Z");
}

TEST(Expiry, YearsAreTwelveCalendarMonths) {
  EXPECT_EQ(ExpiresAt("1y", "2027-05-01T08:00:00Z"), "2028-05-01T08:00:00Z");
  EXPECT_EQ(ExpiresAt("1y", "2028-02-29T08:00:00Z"), "2029-02-28T08:00:00Z");
  EXPECT_EQ(ExpiresAt("4y", "2028-02-29T08:00:00Z"), "2032-02-29T08:00:00Z");
  EXPECT_EQ(ExpiresAt("1y", "2099-02-28T08:00:00Z"), "2100-02-28T08:00:00Z");
}

TEST(Expiry, SubSecondPartsOfTheBackupTimeAreKept) {
  TimePoint t = Utc("2027-01-31T08:00:00Z") + std::chrono::milliseconds(250);
  Expiry month = Expiry::Parse("1mo").value();
  EXPECT_EQ(month.ExpiresAt(t) - t, std::chrono::hours(28 * 24));
}

TEST(Expiry, ApproximateTtlIsTheGoDurationForVelero) {
  Expiry month = Expiry::Parse("1mo").value();
  EXPECT_EQ(FormatGoDuration(month.ApproximateTtl(Utc("2027-02-01T00:00:00Z"))), "672h0m0s");
  EXPECT_EQ(FormatGoDuration(month.ApproximateTtl(Utc("2028-02-01T00:00:00Z"))), "696h0m0s");
  Expiry days = Expiry::Parse("90d").value();
  EXPECT_EQ(days.ApproximateTtl(Utc("2027-02-01T00:00:00Z")), std::chrono::hours(2160));
  EXPECT_EQ(Expiry::Parse("720h").value().ApproximateTtl(TimePoint{}), std::chrono::hours(720));
}

TEST(Expiry, TextIsWhatWasParsed) {
  EXPECT_EQ(Expiry::Parse(" 3mo ").value().text(), "3mo");
  EXPECT_EQ(Expiry::Parse("720h").value().text(), "720h");
}

TEST(Expiry, BadInputNamesTheTextAndTheAcceptedForms) {
  for (std::string_view bad : {"", "abc", "90", "d", "-5d", "-3mo", "+3mo", "1.5h", "500ms",
                               "2ww", "1w2d", "3mon", "1y1mo", "3 mo", "90D",
                               "99999999999h", "9999999999mo"}) {
    StatusOr<Expiry> e = Expiry::Parse(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find(fmt::format("expiry \"{}\"", bad)), std::string::npos)
        << e.status().message();
    EXPECT_NE(e.status().message().find("720h, 90m, 1h30m"), std::string::npos);
    EXPECT_NE(e.status().message().find("months (3mo)"), std::string::npos);
  }
  EXPECT_EQ(Expiry::Parse("abc").status().message(),
            "expiry \"abc\" is not a duration; use a Go duration (720h, 90m, 1h30m) or a number "
            "of days (90d), weeks (2w), months (3mo) or years (1y)");
}

TEST(Expiry, ZeroAndOverLongExpiriesAreRejected) {
  for (std::string_view zero : {"0h", "0d", "0w", "0mo", "0y", "0s"}) {
    EXPECT_NE(Expiry::Parse(zero).status().message().find("must be longer than zero"),
              std::string::npos)
        << zero;
  }
  for (std::string_view long_ : {"101y", "1201mo", "5300w", "36700d"}) {
    EXPECT_NE(Expiry::Parse(long_).status().message().find("is longer than 100 years"),
              std::string::npos)
        << long_;
  }
  EXPECT_TRUE(Expiry::Parse("100y").ok());
}

}  // namespace
}  // namespace kb::testing
