// Schedule: cron syntax and its errors, presets, @every alignment, time zones and DST, LatestDue.
// Fixed time points only; expectations are UTC instants (RFC 3339) so a failure reads plainly.
#include "agent/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/base/clock.h"

namespace kb::testing {
namespace {

using agent::Schedule;
using TimePoint = std::chrono::system_clock::time_point;
using std::chrono::seconds;

TimePoint Utc(std::string const& text) {
  TimePoint t;
  EXPECT_TRUE(ParseRfc3339(text, t)) << text;
  return t;
}

std::string Show(std::optional<TimePoint> t) { return t ? FormatRfc3339(*t) : "none"; }

Schedule Must(std::string_view text, std::string_view zone = "UTC") {
  StatusOr<Schedule> s = Schedule::Parse(text, zone);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().ToString();
  return std::move(s).value();
}

// The first `n` ticks after `after`, space separated.
std::string Ticks(std::string_view text, std::string const& after, int n,
                  std::string_view zone = "UTC") {
  Schedule s = Must(text, zone);
  std::string out;
  std::optional<TimePoint> t = Utc(after);
  for (int i = 0; i < n && t; ++i) {
    t = s.Next(*t);
    out += (out.empty() ? "" : " ") + Show(t);
  }
  return out;
}

std::string Latest(std::string_view text, std::string const& last_run, std::string const& now,
                   std::string_view zone = "UTC") {
  return Show(Must(text, zone).LatestDue(Utc(last_run), Utc(now)));
}

std::string ErrorOf(std::string_view text, std::string_view zone = "UTC") {
  StatusOr<Schedule> s = Schedule::Parse(text, zone);
  if (s.ok()) return "ok";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << text;
  return s.status().message();
}

bool StartsWith(std::string const& s, std::string const& prefix) { return s.starts_with(prefix); }

TEST(Schedule, EveryMinuteTicksOnTheNextWholeMinuteStrictlyAfter) {
  EXPECT_EQ(Ticks("* * * * *", "2027-01-01T10:00:00Z", 2),
            "2027-01-01T10:01:00Z 2027-01-01T10:02:00Z");
  EXPECT_EQ(Ticks("* * * * *", "2027-01-01T10:00:59Z", 1), "2027-01-01T10:01:00Z");
}

TEST(Schedule, NumbersListsRangesAndSteps) {
  EXPECT_EQ(Ticks("5,35 3 * * *", "2027-01-01T03:05:00Z", 2),
            "2027-01-01T03:35:00Z 2027-01-02T03:05:00Z");
  EXPECT_EQ(Ticks("0 9-17 * * *", "2027-01-01T16:30:00Z", 2),
            "2027-01-01T17:00:00Z 2027-01-02T09:00:00Z");
  EXPECT_EQ(Ticks("*/15 * * * *", "2027-01-01T10:00:00Z", 4),
            "2027-01-01T10:15:00Z 2027-01-01T10:30:00Z 2027-01-01T10:45:00Z 2027-01-01T11:00:00Z");
  EXPECT_EQ(Ticks("10-40/10 * * * *", "2027-01-01T10:35:00Z", 3),
            "2027-01-01T10:40:00Z 2027-01-01T11:10:00Z 2027-01-01T11:20:00Z");
  EXPECT_EQ(Ticks("0 */6 * * *", "2027-01-01T07:00:00Z", 2),
            "2027-01-01T12:00:00Z 2027-01-01T18:00:00Z");
  EXPECT_EQ(Ticks("0 0 1-10/4,20 * *", "2027-01-01T00:00:00Z", 3),
            "2027-01-05T00:00:00Z 2027-01-09T00:00:00Z 2027-01-20T00:00:00Z");
}

TEST(Schedule, MonthAndDayNamesInAnyCase) {
  EXPECT_EQ(Ticks("0 0 1 jan,Jul *", "2027-02-01T00:00:00Z", 2),
            "2027-07-01T00:00:00Z 2028-01-01T00:00:00Z");
  EXPECT_EQ(Ticks("0 0 1 MAR-may *", "2027-04-15T00:00:00Z", 2),
            "2027-05-01T00:00:00Z 2028-03-01T00:00:00Z");
  // 2027-01-01 is a Friday.
  EXPECT_EQ(Ticks("0 8 * * mon-FRI", "2027-01-01T08:00:00Z", 2),
            "2027-01-04T08:00:00Z 2027-01-05T08:00:00Z");
}

TEST(Schedule, SundayIsZeroOrSeven) {
  for (std::string_view sunday : {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * 7-7"}) {
    EXPECT_EQ(Ticks(sunday, "2027-01-01T00:00:00Z", 2),
              "2027-01-03T00:00:00Z 2027-01-10T00:00:00Z")
        << sunday;
  }
  EXPECT_EQ(Ticks("0 0 * * 5-7", "2027-01-01T00:00:00Z", 3),
            "2027-01-02T00:00:00Z 2027-01-03T00:00:00Z 2027-01-08T00:00:00Z");
}

TEST(Schedule, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  EXPECT_EQ(Ticks("0 0 13 * FRI", "2027-01-02T00:00:00Z", 4),
            "2027-01-08T00:00:00Z 2027-01-13T00:00:00Z 2027-01-15T00:00:00Z "
            "2027-01-22T00:00:00Z");
}

TEST(Schedule, DayOfMonthAndDayOfWeekWhenOneStartsWithStar) {
  // Vixie: "*/2" counts as '*', so odd days that are also Mondays.
  EXPECT_EQ(Ticks("0 0 */2 * MON", "2027-01-01T00:00:00Z", 3),
            "2027-01-11T00:00:00Z 2027-01-25T00:00:00Z 2027-02-01T00:00:00Z");
}

TEST(Schedule, The31stSkipsShorterMonths) {
  EXPECT_EQ(Ticks("0 0 31 * *", "2027-01-31T00:00:00Z", 3),
            "2027-03-31T00:00:00Z 2027-05-31T00:00:00Z 2027-07-31T00:00:00Z");
}

TEST(Schedule, Feb29OnlyInLeapYears) {
  EXPECT_EQ(Ticks("0 0 29 2 *", "2025-03-01T00:00:00Z", 2),
            "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z");
  EXPECT_EQ(Ticks("0 0 29 2 *", "2096-03-01T00:00:00Z", 1), "2104-02-29T00:00:00Z");  // 2100
}

TEST(Schedule, OutOfRangeValuesNameTheFieldAndTheValue) {
  EXPECT_EQ(ErrorOf("0 0 32 * *"), "cron field \"day-of-month\" value 32 is out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 0 * *"), "cron field \"day-of-month\" value 0 is out of range 1-31");
  EXPECT_EQ(ErrorOf("60 * * * *"), "cron field \"minute\" value 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("0 24 * * *"), "cron field \"hour\" value 24 is out of range 0-23");
  EXPECT_EQ(ErrorOf("0 0 * 13 *"), "cron field \"month\" value 13 is out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 * * 8"), "cron field \"day-of-week\" value 8 is out of range 0-7");
  EXPECT_EQ(ErrorOf("0 0-99999999999 * * *"),
            "cron field \"hour\" value 99999999999 is out of range 0-23");
}

TEST(Schedule, MalformedFieldsAreRejected) {
  EXPECT_EQ(ErrorOf("x * * * *"), "cron field \"minute\" value \"x\" is not a number");
  EXPECT_EQ(ErrorOf("0 0 * FOO *"),
            "cron field \"month\" value \"FOO\" is not a number or a name JAN-DEC");
  EXPECT_EQ(ErrorOf("0 0 * * funday"),
            "cron field \"day-of-week\" value \"funday\" is not a number or a name SUN-SAT");
  EXPECT_EQ(ErrorOf("0 5-2 * * *"),
            "cron field \"hour\" range 5-2 runs backwards; write the smaller value first");
  EXPECT_EQ(ErrorOf("*/0 * * * *"),
            "cron field \"minute\" step \"0\" in \"*/0\" is not a positive number");
  EXPECT_EQ(ErrorOf("*/x * * * *"),
            "cron field \"minute\" step \"x\" in \"*/x\" is not a positive number");
  EXPECT_TRUE(StartsWith(ErrorOf("5/10 * * * *"),
                         "cron field \"minute\" item \"5/10\" has a step after a single value"));
  EXPECT_EQ(ErrorOf("1,,2 * * * *"), "cron field \"minute\" has an empty list item in \"1,,2\"");
  EXPECT_EQ(ErrorOf("-5 * * * *"),
            "cron field \"minute\" item \"-5\" is not a value, a range a-b or a step");
  EXPECT_TRUE(StartsWith(ErrorOf("0 0 * *"), "schedule \"0 0 * *\" has 4 fields; want 5"));
  EXPECT_TRUE(StartsWith(ErrorOf("0 0 * * * *"), "schedule \"0 0 * * * *\" has 6 fields"));
  EXPECT_TRUE(StartsWith(ErrorOf("  "), "schedule \"\" has 0 fields"));
}

TEST(Schedule, ACronThatNeverMatchesIsAnError) {
  EXPECT_TRUE(StartsWith(ErrorOf("0 0 30 2 *"), "\"0 0 30 2 *\" never matches"));
  EXPECT_TRUE(StartsWith(ErrorOf("0 0 31 4,6,9,11 *"), "\"0 0 31 4,6,9,11 *\" never matches"));
  // Feb 29 on a Sunday comes once in 28 years.
  EXPECT_TRUE(StartsWith(ErrorOf("0 0 29 2 */7"), "\"0 0 29 2 */7\" never matches in some"));
  EXPECT_EQ(ErrorOf("0 0 30 2 SUN"), "ok");  // OR: every Sunday in February
  EXPECT_EQ(ErrorOf("0 0 */10 2 */3"), "ok");
}

TEST(Schedule, UnknownPresetsAndBadEveryDurations) {
  EXPECT_TRUE(StartsWith(ErrorOf("@fortnightly"), "unknown schedule \"@fortnightly\"; want"));
  EXPECT_EQ(ErrorOf("@every"), "@every needs a duration, e.g. \"@every 1h30m\"");
  EXPECT_EQ(ErrorOf("@every 0s"), "@every 0s is shorter than the 1s minimum");
  EXPECT_TRUE(StartsWith(ErrorOf("@every 500ms"), "@every \"500ms\" is not a Go duration"));
  EXPECT_TRUE(StartsWith(ErrorOf("@every 1x"), "@every \"1x\" is not a Go duration"));
  EXPECT_TRUE(StartsWith(ErrorOf("@every 99999999999h"), "@every 99999999999h is longer than"));
  EXPECT_TRUE(StartsWith(ErrorOf("@every 9999999999999h"), "@every \"9999999999999h\" is not"));
  EXPECT_TRUE(StartsWith(ErrorOf("@every 87601h"), "@every 87601h is longer than the 87600h"));
}

TEST(Schedule, UnknownTimeZonesAreRejected) {
  EXPECT_TRUE(StartsWith(ErrorOf("@daily", "Mars/Olympus"), "unknown time zone \"Mars/Olympus\""));
  for (std::string_view zone : {"", "localtime", "../../etc/passwd", "/etc/localtime",
                                "EST5EDT,M3.2.0,M11.1.0", "utc"}) {
    EXPECT_TRUE(StartsWith(ErrorOf("@daily", zone), "unknown time zone")) << zone;
  }
  EXPECT_TRUE(StartsWith(ErrorOf("never", "Mars/Olympus"), "unknown time zone"));
}

TEST(Schedule, Presets) {
  struct Case {
    std::string_view text;
    std::string after;
    std::string next;
  };
  for (Case const& c : std::vector<Case>{
           {"@hourly", "2027-01-01T10:20:00Z", "2027-01-01T11:00:00Z"},
           {"@daily", "2027-01-01T10:20:00Z", "2027-01-02T00:00:00Z"},
           {"@midnight", "2027-01-01T10:20:00Z", "2027-01-02T00:00:00Z"},
           {"@DAILY", "2027-01-01T10:20:00Z", "2027-01-02T00:00:00Z"},
           {"@weekly", "2027-01-01T10:20:00Z", "2027-01-03T00:00:00Z"},
           {"@monthly", "2027-01-15T10:20:00Z", "2027-02-01T00:00:00Z"},
           {"@bimonthly", "2027-01-15T10:20:00Z", "2027-03-01T00:00:00Z"},
           {"@bimonthly", "2027-11-02T10:20:00Z", "2028-01-01T00:00:00Z"},
           {"@yearly", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"},
           {"@annually", "2027-06-01T00:00:00Z", "2028-01-01T00:00:00Z"},
       }) {
    EXPECT_EQ(Ticks(c.text, c.after, 1), c.next) << c.text << " after " << c.after;
  }
}

TEST(Schedule, BiweeklyRunsOnSundaysOfEvenWeeksCountedFrom19700104) {
  EXPECT_EQ(Ticks("@biweekly", "1970-01-01T00:00:00Z", 2),
            "1970-01-04T00:00:00Z 1970-01-18T00:00:00Z");
  EXPECT_EQ(Ticks("@biweekly", "2027-01-01T00:00:00Z", 3),
            "2027-01-03T00:00:00Z 2027-01-17T00:00:00Z 2027-01-31T00:00:00Z");
  EXPECT_EQ(Ticks("@biweekly", "1969-12-01T00:00:00Z", 2),  // weeks -4 and -2
            "1969-12-07T00:00:00Z 1969-12-21T00:00:00Z");
}

TEST(Schedule, NeverHasNoTicks) {
  for (std::string_view text : {"never", "NEVER", " never "}) {
    Schedule s = Must(text);
    EXPECT_TRUE(s.never());
    EXPECT_EQ(Show(s.Next(Utc("2027-01-01T00:00:00Z"))), "none");
    EXPECT_EQ(Show(s.LatestDue(TimePoint{}, Utc("2027-01-01T00:00:00Z"))), "none");
  }
  EXPECT_FALSE(Must("@daily").never());
}

TEST(Schedule, EveryIsAlignedToTheUnixEpochInEveryZone) {
  // 2027-01-01T00:00:00Z is 1798761600 s after the epoch, a multiple of 5400 s (1h30m).
  EXPECT_EQ(Ticks("@every 1h30m", "2027-01-01T00:10:00Z", 2),
            "2027-01-01T01:30:00Z 2027-01-01T03:00:00Z");
  // ... and 300 s past a multiple of 420 s (7m): the ticks do not start when the agent does.
  for (std::string_view zone : {"UTC", "Europe/Berlin", "America/New_York"}) {
    EXPECT_EQ(Ticks("@every 7m", "2027-01-01T00:00:00Z", 2, zone),
              "2027-01-01T00:02:00Z 2027-01-01T00:09:00Z");
  }
  EXPECT_EQ(Ticks("@every 1s", "2027-01-01T00:00:00Z", 1), "2027-01-01T00:00:01Z");
  EXPECT_EQ(Ticks("@every 1h", "1969-12-31T22:30:00Z", 2),
            "1969-12-31T23:00:00Z 1970-01-01T00:00:00Z");
  EXPECT_EQ(Latest("@every 1h", "2027-01-01T10:00:00Z", "2027-01-01T13:30:00Z"),
            "2027-01-01T13:00:00Z");
  EXPECT_EQ(Latest("@every 1h", "2027-01-01T13:00:00Z", "2027-01-01T13:59:59Z"), "none");
}

TEST(Schedule, CronFieldsAreWallClockTimeInTheZone) {
  EXPECT_EQ(Ticks("0 2 * * *", "2027-01-10T00:00:00Z", 1, "Europe/Berlin"),
            "2027-01-10T01:00:00Z");  // CET, UTC+1
  EXPECT_EQ(Ticks("0 2 * * *", "2027-07-10T00:00:00Z", 1, "Europe/Berlin"),
            "2027-07-11T00:00:00Z");  // CEST, UTC+2: 00:00Z was 02:00 local, not after it
  EXPECT_EQ(Must("0 2 * * *", "Europe/Berlin").time_zone(), "Europe/Berlin");
}

TEST(Schedule, BerlinSpringForwardRunsSkippedWallTimesOnceAtTheEndOfTheGap) {
  // 2027-03-28 02:00 CET -> 03:00 CEST (01:00Z): 02:xx does not exist.
  EXPECT_EQ(Ticks("30 2 * * *", "2027-03-27T12:00:00Z", 2, "Europe/Berlin"),
            "2027-03-28T01:00:00Z 2027-03-29T00:30:00Z");
  EXPECT_EQ(Ticks("*/15 2 * * *", "2027-03-27T12:00:00Z", 2, "Europe/Berlin"),
            "2027-03-28T01:00:00Z 2027-03-29T00:00:00Z");
  EXPECT_EQ(Ticks("30 2,3 * * *", "2027-03-27T12:00:00Z", 3, "Europe/Berlin"),
            "2027-03-28T01:00:00Z 2027-03-28T01:30:00Z 2027-03-29T00:30:00Z");
}

TEST(Schedule, BerlinFallBackRunsARepeatedWallTimeOnlyAtItsFirstOccurrence) {
  // 2027-10-31 03:00 CEST -> 02:00 CET (01:00Z): 02:xx occurs at 00:xxZ and again at 01:xxZ.
  EXPECT_EQ(Ticks("30 2 * * *", "2027-10-30T12:00:00Z", 2, "Europe/Berlin"),
            "2027-10-31T00:30:00Z 2027-11-01T01:30:00Z");
  EXPECT_EQ(Ticks("30 2 * * *", "2027-10-31T01:15:00Z", 1, "Europe/Berlin"),
            "2027-11-01T01:30:00Z");  // from inside the second pass
  EXPECT_EQ(Ticks("*/30 * * * *", "2027-10-30T23:45:00Z", 3, "Europe/Berlin"),
            "2027-10-31T00:00:00Z 2027-10-31T00:30:00Z 2027-10-31T02:00:00Z");
}

TEST(Schedule, NewYorkDaylightSavingTime) {
  // 2027-03-14 02:00 EST -> 03:00 EDT (07:00Z); 2027-11-07 02:00 EDT -> 01:00 EST (06:00Z).
  EXPECT_EQ(Ticks("30 2 * * *", "2027-03-13T12:00:00Z", 2, "America/New_York"),
            "2027-03-14T07:00:00Z 2027-03-15T06:30:00Z");
  EXPECT_EQ(Ticks("30 1 * * *", "2027-11-06T12:00:00Z", 2, "America/New_York"),
            "2027-11-07T05:30:00Z 2027-11-08T06:30:00Z");
}

TEST(Schedule, LatestDueAfter26HoursDownIsOnlyTheLatestTick) {
  Schedule daily = Must("0 2 * * *");
  TimePoint last_run = Utc("2026-11-23T02:00:00Z");
  TimePoint now = Utc("2026-11-24T01:59:00Z") + std::chrono::hours(26);  // suspended
  EXPECT_EQ(Show(daily.Next(last_run)), "2026-11-24T02:00:00Z");         // missed, and
  EXPECT_EQ(Show(daily.LatestDue(last_run, now)), "2026-11-25T02:00:00Z");  // one run for both
}

TEST(Schedule, LatestDueIsTheHalfOpenRangeAfterLastRunUpToNow) {
  EXPECT_EQ(Latest("0 2 * * *", "2027-01-01T02:00:00Z", "2027-01-02T02:00:00Z"),
            "2027-01-02T02:00:00Z");
  EXPECT_EQ(Latest("0 2 * * *", "2027-01-02T02:00:00Z", "2027-01-02T03:00:00Z"), "none");
  EXPECT_EQ(Latest("0 2 * * *", "2027-01-01T02:00:00Z", "2027-01-02T01:59:59Z"), "none");
  EXPECT_EQ(Latest("0 2 * * *", "2027-01-05T00:00:00Z", "2027-01-01T00:00:00Z"), "none");
}

TEST(Schedule, LatestDueAfterALongGapLooksBackNoFurtherThanNeeded) {
  EXPECT_EQ(Latest("*/5 * * * *", "1970-01-01T00:00:00Z", "2027-06-15T10:07:30Z"),
            "2027-06-15T10:05:00Z");
  EXPECT_EQ(Latest("0 0 29 2 *", "2000-01-01T00:00:00Z", "2031-06-01T00:00:00Z"),
            "2028-02-29T00:00:00Z");
  EXPECT_EQ(Latest("0 0 29 2 *", "2028-02-29T00:00:00Z", "2031-06-01T00:00:00Z"), "none");
}

TEST(Schedule, LatestDueAroundDaylightSavingChanges) {
  EXPECT_EQ(Latest("30 2 * * *", "2027-03-27T12:00:00Z", "2027-03-28T01:00:00Z", "Europe/Berlin"),
            "2027-03-28T01:00:00Z");
  // `now` is 02:30 CET, the second pass: 02:45 ran in the first pass, at 00:45Z.
  EXPECT_EQ(Latest("45 2 * * *", "2027-10-30T12:00:00Z", "2027-10-31T01:30:00Z", "Europe/Berlin"),
            "2027-10-31T00:45:00Z");
  EXPECT_EQ(Latest("45 2 * * *", "2027-10-31T00:45:00Z", "2027-10-31T01:50:00Z", "Europe/Berlin"),
            "none");
}

TEST(Schedule, LatestDueAgreesWithNextAcrossDaylightSavingChanges) {
  struct Case {
    std::string_view text;
    std::string_view zone;
  };
  for (Case const& c : std::vector<Case>{{"*/20 * * * *", "Europe/Berlin"},
                                         {"30 2 * * *", "Europe/Berlin"},
                                         {"0,30 1-3 * * *", "America/New_York"},
                                         {"15 */2 * * SUN", "America/New_York"},
                                         {"@every 50m", "Europe/Berlin"}}) {
    for (std::string start : {"2027-03-27T20:00:00Z", "2027-10-30T20:00:00Z",
                              "2027-03-13T20:00:00Z", "2027-11-06T20:00:00Z"}) {
      Schedule s = Must(c.text, c.zone);
      TimePoint prev = Utc(start);
      for (int i = 0; i < 200; ++i) {
        std::optional<TimePoint> tick = s.Next(prev);
        ASSERT_TRUE(tick && *tick > prev) << c.text << " after " << FormatRfc3339(prev);
        EXPECT_EQ(Show(s.LatestDue(prev, *tick)), Show(tick)) << c.text;
        EXPECT_EQ(Show(s.LatestDue(prev, *tick - seconds(1))), "none") << c.text << " " << i;
        prev = *tick;
      }
    }
  }
}

TEST(Schedule, CustomIsTheEquivalentCron) {
  Schedule s = Schedule::Custom({.day_of_month = 1, .hour = 2, .minute = 0}, "Europe/Berlin")
                   .value();
  EXPECT_EQ(s.text(), "0 2 1 * *");
  EXPECT_EQ(s.time_zone(), "Europe/Berlin");
  EXPECT_EQ(Show(s.Next(Utc("2027-01-15T00:00:00Z"))), "2027-02-01T01:00:00Z");
  EXPECT_EQ(Schedule::Custom({}).value().text(), "* * * * *");
  EXPECT_EQ(Schedule::Custom({.month = 12, .day_of_month = 25, .hour = 6, .minute = 30})
                .value()
                .text(),
            "30 6 25 12 *");
}

TEST(Schedule, CustomRejectsValuesOutOfRange) {
  auto error = [](Schedule::CustomFields const& f) { return Schedule::Custom(f).status(); };
  EXPECT_EQ(error({.hour = 24}).message(),
            "custom schedule \"hour\" value 24 is out of range 0-23");
  EXPECT_EQ(error({.minute = -1}).message(),
            "custom schedule \"minute\" value -1 is out of range 0-59");
  EXPECT_EQ(error({.month = 13}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error({.day_of_month = 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(StartsWith(error({.month = 2, .day_of_month = 30}).message(),
                         "\"* * 30 2 *\" never matches"));
  EXPECT_TRUE(StartsWith(Schedule::Custom({}, "Mars/Olympus").status().message(),
                         "unknown time zone"));
}

TEST(Schedule, TextIsWhatWasParsed) {
  EXPECT_EQ(Must("  0 2 * * *\t").text(), "0 2 * * *");
  EXPECT_EQ(Must("@every 1h30m").text(), "@every 1h30m");
  EXPECT_EQ(Must("@weekly").time_zone(), "UTC");
}

}  // namespace
}  // namespace kb::testing
