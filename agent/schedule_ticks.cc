// Schedule's ticks: which days match and how often, and the next or latest tick in the time
// zone (daylight-saving rules in schedule.h). Parsing is in schedule.cc.
#include "agent/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

namespace kb::agent {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = TimePoint::duration;

// Ticks of a valid cron are at most 8 years apart (Feb 29: 2096 -> 2104), so searches for the
// next or previous tick stop after 9 to 10 years of wall time.
constexpr int kHorizonYears = 10;
constexpr absl::civil_diff_t kMaxGapDays = 2922;  // 8 years of 365.25 days
constexpr absl::civil_diff_t kGregorianCycleDays = 146097;  // 400 years, 20871 whole weeks
constexpr std::uint32_t kAllDaysOfMonth = 0xfffffffe;       // bits 1-31
constexpr std::uint8_t kAllDaysOfWeek = 0x7f;               // bits 0-6

int CronWeekday(absl::CivilDay day) {  // 0 = Sunday
  return (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;  // absl: Monday = 0
}

// Floor division; nullopt when q * d would not fit a time_point.
std::optional<Duration::rep> FloorDiv(Duration t, Duration d) {
  Duration::rep q = t / d;
  if (t % d < Duration::zero()) --q;
  if (q >= std::numeric_limits<Duration::rep>::max() / d.count() ||
      q <= std::numeric_limits<Duration::rep>::min() / d.count()) {
    return std::nullopt;
  }
  return q;
}

std::optional<TimePoint> ToTimePoint(absl::Time t) {
  if (t > absl::FromChrono(TimePoint::max()) || t < absl::FromChrono(TimePoint::min())) {
    return std::nullopt;
  }
  return absl::ToChronoTime(t);
}

}  // namespace

// Refuses a cron whose days never come, or come less than once in 8 years.
Status Schedule::CheckMatchesOften() const {
  // Matching days come every year under the OR rule (each allowed weekday comes every week)
  // and when every day of month is allowed (each allowed weekday comes in every month).
  bool either = !day_of_month_star_ && !day_of_week_star_;
  if (either || days_of_month_ == kAllDaysOfMonth) return OkStatus();
  if (days_of_week_ == kAllDaysOfWeek) {  // a set of dates: look for one that exists
    static constexpr std::array<int, 13> kMaxDays = {0,  31, 29, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
    for (int month = 1; month <= 12; ++month) {
      std::uint32_t possible = kAllDaysOfMonth & ((std::uint64_t{2} << kMaxDays[month]) - 1);
      if ((months_ >> month & 1) && (days_of_month_ & possible)) return OkStatus();
    }
    return InvalidArgumentError(fmt::format(
        "\"{}\" never matches: no month it allows has the day of month it asks for", text_));
  }
  // Both fields narrowed and ANDed: walk one 400-year cycle (a whole number of weeks, so the
  // pattern repeats), only the days of month the cron allows, and measure the longest gap.
  absl::CivilMonth const start(2000, 1);
  absl::CivilMonth const end = start + 400 * 12;
  std::optional<absl::CivilDay> first;
  std::optional<absl::CivilDay> last;
  absl::civil_diff_t longest = 0;
  for (absl::CivilMonth month = start; month < end; ++month) {
    if (!(months_ >> month.month() & 1)) continue;
    absl::CivilDay const day_one(month);
    absl::civil_diff_t const length = absl::CivilDay(month + 1) - day_one;
    int const weekday_one = CronWeekday(day_one);
    std::uint32_t days = days_of_month_ & ((std::uint64_t{2} << length) - 1);
    for (; days != 0; days &= days - 1) {
      int const offset = std::countr_zero(days) - 1;
      if (!(days_of_week_ >> (weekday_one + offset) % 7 & 1)) continue;  // the quick test
      absl::CivilDay const d = day_one + offset;
      if (!DayMatches(d)) continue;
      if (last) longest = std::max(longest, d - *last);
      if (!first) first = d;
      last = d;
    }
  }
  if (!first) return InvalidArgumentError(fmt::format("\"{}\" never matches", text_));
  longest = std::max(longest, *first + kGregorianCycleDays - *last);
  if (longest > kMaxGapDays) {
    return InvalidArgumentError(
        fmt::format("\"{}\" never matches in some 8-year spans (its days are {} days apart)",
                    text_, longest));
  }
  return OkStatus();
}

bool Schedule::DayMatches(absl::CivilDay day) const {
  bool dom = days_of_month_ >> day.day() & 1;
  bool dow = days_of_week_ >> CronWeekday(day) & 1;
  bool match = (day_of_month_star_ || day_of_week_star_) ? (dom && dow) : (dom || dow);
  if (match && even_weeks_only_) {
    absl::civil_diff_t days = day - absl::CivilDay(1970, 1, 4);  // week 0 starts that Sunday
    absl::civil_diff_t week = days / 7 - (days % 7 < 0 ? 1 : 0);
    match = (week & 1) == 0;
  }
  return match;
}

std::optional<absl::CivilMinute> Schedule::NextMatch(absl::CivilMinute from,
                                                     absl::CivilMinute limit) const {
  absl::CivilMinute t = from;
  while (t < limit) {
    if (!(months_ >> t.month() & 1)) {
      t = absl::CivilMinute(absl::CivilMonth(t) + 1);
    } else if (!DayMatches(absl::CivilDay(t))) {
      t = absl::CivilMinute(absl::CivilDay(t) + 1);
    } else if (std::uint64_t later = minutes_ >> t.minute() << t.minute();
               !(hours_ >> t.hour() & 1) || later == 0) {
      t = absl::CivilMinute(absl::CivilHour(t) + 1);
    } else {
      return absl::CivilMinute(absl::CivilHour(t)) + std::countr_zero(later);
    }
  }
  return std::nullopt;
}

std::optional<absl::CivilMinute> Schedule::PrevMatch(absl::CivilMinute from,
                                                     absl::CivilMinute limit) const {
  absl::CivilMinute t = from;
  while (t >= limit) {
    if (!(months_ >> t.month() & 1)) {
      t = absl::CivilMinute(absl::CivilMonth(t)) - 1;
    } else if (!DayMatches(absl::CivilDay(t))) {
      t = absl::CivilMinute(absl::CivilDay(t)) - 1;
    } else if (std::uint64_t earlier = minutes_ & ((std::uint64_t{2} << t.minute()) - 1);
               !(hours_ >> t.hour() & 1) || earlier == 0) {
      t = absl::CivilMinute(absl::CivilHour(t)) - 1;
    } else {
      return absl::CivilMinute(absl::CivilHour(t)) + (63 - std::countl_zero(earlier));
    }
  }
  return std::nullopt;
}

// The instant a matching wall time runs at: a skipped one at the end of the gap, a repeated one
// at its first occurrence. Non-decreasing in `minute`.
absl::Time Schedule::TickTime(absl::CivilMinute minute) const {
  absl::TimeZone::TimeInfo info = zone_.At(absl::CivilSecond(minute));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

std::optional<TimePoint> Schedule::Next(TimePoint after) const {
  switch (kind_) {
    case Kind::kNever:
      return std::nullopt;
    case Kind::kCron:
      return NextCron(after);
    case Kind::kEvery: {
      Duration period = std::chrono::duration_cast<Duration>(every_);
      std::optional<Duration::rep> q = FloorDiv(after.time_since_epoch(), period);
      if (!q) return std::nullopt;
      return TimePoint(period * (*q + 1));
    }
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::LatestDue(TimePoint last_run, TimePoint now) const {
  if (now <= last_run) return std::nullopt;
  switch (kind_) {
    case Kind::kNever:
      return std::nullopt;
    case Kind::kCron:
      return LatestCron(last_run, now);
    case Kind::kEvery: {
      Duration period = std::chrono::duration_cast<Duration>(every_);
      std::optional<Duration::rep> q = FloorDiv(now.time_since_epoch(), period);
      if (!q || TimePoint(period * *q) <= last_run) return std::nullopt;
      return TimePoint(period * *q);
    }
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::NextCron(TimePoint after) const {
  absl::Time after_time = absl::FromChrono(after);
  absl::CivilMinute from = absl::CivilMinute(zone_.At(after_time).cs) + 1;
  absl::CivilMinute limit(absl::CivilYear(from) + kHorizonYears);
  while (std::optional<absl::CivilMinute> match = NextMatch(from, limit)) {
    absl::Time tick = TickTime(*match);
    if (tick > after_time) return ToTimePoint(tick);
    from = *match + 1;  // `after` is in the second pass of a repeated hour: this one ran
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::LatestCron(TimePoint last_run, TimePoint now) const {
  absl::Time now_time = absl::FromChrono(now);
  absl::Time last_time = absl::FromChrono(last_run);
  absl::CivilMinute top(zone_.At(now_time).cs);
  absl::TimeZone::TimeInfo info = zone_.At(absl::CivilSecond(top));
  if (info.kind == absl::TimeZone::TimeInfo::REPEATED && now_time >= info.trans) {
    // `now` is in the second pass of a repeated range: the rest of the range ran in the first.
    top = absl::CivilMinute(zone_.At(info.trans - absl::Seconds(1)).cs);
  }
  // A tick after last_run is on a wall time after last_run's, give or take an offset change.
  absl::CivilMinute limit =
      std::max(absl::CivilMinute(zone_.At(last_time).cs) - 2 * 24 * 60,
               absl::CivilMinute(absl::CivilYear(top) - kHorizonYears));
  std::optional<absl::CivilMinute> match = PrevMatch(top, limit);
  if (!match) return std::nullopt;
  absl::Time tick = TickTime(*match);
  if (tick <= last_time) return std::nullopt;
  return ToTimePoint(tick);
}

}  // namespace kb::agent