#pragma once
// When the node agent runs (issue 10): a 5-field cron read as wall-clock time in a time zone,
// `@every <duration>` aligned to the Unix epoch, the @-presets, or `never`. Pure: the caller
// passes the time points (from its injected Clock, STYLE.md §7).

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base/status.h"

namespace kb::agent {

/// A parsed schedule: the set of instants ("ticks") at which a job runs. A value type, cheap to
/// copy; const methods are thread-safe.
///
/// Cron (spec: Vixie cron's crontab(5), as cronie reads it): `minute hour day-of-month month
/// day-of-week`, each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// those; months JAN-DEC and days SUN-SAT in any case; day-of-week 0-7 with 0 and 7 Sunday.
/// When day-of-month and day-of-week both are restricted (neither starts with `*`), a day
/// matches if either matches; otherwise both must. The fields are wall-clock time in the
/// schedule's time zone, and daylight-saving changes follow cronie:
///   - a wall time that does not exist (spring forward, e.g. 02:30 on 2027-03-28 in
///     Europe/Berlin) runs at the first instant after the gap (03:00 CEST), once however many
///     of the skipped wall times match;
///   - a wall time that occurs twice (fall back, e.g. 02:30 on 2027-10-31 in Europe/Berlin)
///     runs only at its first occurrence (02:30 CEST, not 02:30 CET).
/// Unlike cronie, which runs hourly and finer jobs "normally", the two rules apply to every
/// cron: `*/30 * * * *` ticks once at the end of a gap and pauses through a repeated hour.
///
/// Presets: @hourly `0 * * * *`; @daily and @midnight `0 0 * * *`; @weekly `0 0 * * 0`;
/// @biweekly: Sunday 00:00 every two weeks, on the Sundays whose week number is even, counting
/// the week starting Sunday 1970-01-04 as week 0 (so 1970-01-04, 1970-01-18, ...; the dates are
/// fixed, not relative to when the agent started); @monthly `0 0 1 * *`; @bimonthly
/// `0 0 1 1,3,5,7,9,11 *`; @yearly and @annually `0 0 1 1 *`.
///
/// `@every <Go duration>` (1s to 87600h): ticks at the multiples of the duration since
/// 1970-01-01T00:00:00Z, whatever the time zone, so agents on different nodes agree on every
/// tick. `never`: no ticks at all.
class Schedule {
 public:
  /// An instant, UTC (system_clock).
  using TimePoint = std::chrono::system_clock::time_point;

  /// The config's "custom" form. An unset field means every value.
  struct CustomFields {
    std::optional<int> month = std::nullopt;         ///< 1-12.
    std::optional<int> day_of_month = std::nullopt;  ///< 1-31.
    std::optional<int> hour = std::nullopt;          ///< 0-23.
    std::optional<int> minute = std::nullopt;        ///< 0-59.
  };

  /// Parses `text` (surrounding whitespace ignored; presets and `never` in any case) with cron
  /// fields read in `time_zone`: "UTC" or an IANA name such as "Europe/Berlin", loaded from
  /// the system's zoneinfo (tzdata).
  /// Errors: kInvalidArgument with one message naming the field and the bad value, e.g.
  ///   `cron field "day-of-month" value 32 is out of range 1-31`,
  ///   `unknown time zone "Mars/Olympus" ...`, or `"0 0 30 2 *" never matches` (also for a
  ///   cron that goes more than 8 years without a tick, such as Feb 29 on a Sunday).
  static StatusOr<Schedule> Parse(std::string_view text, std::string_view time_zone = "UTC");

  /// The schedule equivalent to the cron `minute hour day-of-month month *` built from
  /// `fields` (unset: `*`), in `time_zone`; its text() is that cron.
  /// Errors: kInvalidArgument for a value out of its range (naming the field and value), an
  ///   unknown time zone, or a date that never exists (month 2, day 30).
  static StatusOr<Schedule> Custom(CustomFields const& fields, std::string_view time_zone = "UTC");

  /// Returns the first tick strictly after `after`, or nullopt for `never` (or past the range
  /// of system_clock, year 2262). Costs at most a few thousand steps (it skips whole months,
  /// days and hours), never a loop over every minute.
  std::optional<TimePoint> Next(TimePoint after) const;

  /// Returns the latest tick in the half-open range (last_run, now], or nullopt when there is
  /// none (or last_run >= now). The daemon runs a missed job once at start, at most, however
  /// many ticks it slept through.
  std::optional<TimePoint> LatestDue(TimePoint last_run, TimePoint now) const;

  /// The text this schedule was parsed from, without surrounding whitespace; for Custom(), the
  /// equivalent cron.
  std::string text() const { return text_; }
  /// The time zone name given to Parse() or Custom(), e.g. "UTC".
  std::string time_zone() const { return time_zone_; }
  /// True for `never`: Next() and LatestDue() always return nullopt.
  bool never() const { return kind_ == Kind::kNever; }

 private:
  enum class Kind { kCron, kEvery, kNever };

  Schedule() = default;
  Status ParseCron(std::string_view cron);
  Status CheckMatchesOften() const;
  bool DayMatches(absl::CivilDay day) const;
  std::optional<absl::CivilMinute> NextMatch(absl::CivilMinute from, absl::CivilMinute limit) const;
  std::optional<absl::CivilMinute> PrevMatch(absl::CivilMinute from, absl::CivilMinute limit) const;
  absl::Time TickTime(absl::CivilMinute minute) const;
  std::optional<TimePoint> NextCron(TimePoint after) const;
  std::optional<TimePoint> LatestCron(TimePoint last_run, TimePoint now) const;

  Kind kind_ = Kind::kNever;
  std::string text_;
  std::string time_zone_;
  absl::TimeZone zone_;
  std::chrono::seconds every_{0};  // kEvery: the period.
  // kCron: bit v set when value v matches. Day-of-week uses 0-6, Sunday 0.
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t days_of_month_ = 0;
  std::uint16_t months_ = 0;
  std::uint8_t days_of_week_ = 0;
  bool day_of_month_star_ = false;  // the field starts with '*' (Vixie's DOM_STAR)
  bool day_of_week_star_ = false;   // the field starts with '*' (Vixie's DOW_STAR)
  bool even_weeks_only_ = false;    // @biweekly
};

}  // namespace kb::agent
