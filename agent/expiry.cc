#include "agent/expiry.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

#include "agent/base/clock.h"

namespace kb::agent {
namespace {

constexpr int kMaxMonths = 100 * 12;
constexpr std::chrono::seconds kMaxFixed = std::chrono::days(100 * 366);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status BadExpiry(std::string_view text, std::string_view why) {
  return InvalidArgumentError(fmt::format(
      "expiry \"{}\" {}; use a Go duration (720h, 90m, 1h30m) or a number of days (90d), "
      "weeks (2w), months (3mo) or years (1y)",
      text, why));
}

// "<digits><unit>" with at most 9 digits: the count, or nullopt when `text` is not that form.
std::optional<long long> CountOf(std::string_view text, std::string_view unit) {
  if (text.size() <= unit.size() || !text.ends_with(unit)) return std::nullopt;
  std::string_view digits = text.substr(0, text.size() - unit.size());
  if (digits.size() > 9 || !std::isdigit(static_cast<unsigned char>(digits[0]))) return std::nullopt;
  long long n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return n;
}

}  // namespace

StatusOr<Expiry> Expiry::Parse(std::string_view text) {
  Expiry e;
  text = Trim(text);
  e.text_ = std::string(text);
  if (std::optional<long long> n = CountOf(text, "mo")) {
    if (*n > kMaxMonths) return BadExpiry(text, "is longer than 100 years");
    e.months_ = static_cast<int>(*n);
  } else if (std::optional<long long> y = CountOf(text, "y")) {
    if (*y > kMaxMonths / 12) return BadExpiry(text, "is longer than 100 years");
    e.months_ = static_cast<int>(*y * 12);
  } else if (std::optional<long long> w = CountOf(text, "w")) {
    e.fixed_ = std::chrono::weeks(*w);
  } else if (!ParseGoDuration(std::string(text), e.fixed_)) {
    return BadExpiry(text, "is not a duration");
  }
  if (e.months_ == 0 && e.fixed_ <= std::chrono::seconds::zero()) {
    return BadExpiry(text, "must be longer than zero");
  }
  if (e.fixed_ > kMaxFixed) return BadExpiry(text, "is longer than 100 years");
  return e;
}

Expiry::TimePoint Expiry::ExpiresAt(TimePoint backup_time) const {
  if (months_ == 0) return backup_time + fixed_;
  std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(backup_time);
  std::chrono::year_month_day date =
      std::chrono::year_month_day(day) + std::chrono::months(months_);
  if (!date.ok()) date = date.year() / date.month() / std::chrono::last;  // 31st in a 30-day month
  return std::chrono::sys_days(date) + (backup_time - day);
}

std::chrono::seconds Expiry::ApproximateTtl(TimePoint backup_time) const {
  return std::chrono::duration_cast<std::chrono::seconds>(ExpiresAt(backup_time) - backup_time);
}

}  // namespace kb::agent
