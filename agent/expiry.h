#pragma once
// How long a backup is kept (issue 10): a Go duration ("720h", "1h30m"), days ("90d"), weeks
// ("2w"), or calendar months ("3mo") and years ("1y") counted in UTC.

#include <chrono>
#include <string>
#include <string_view>

#include "agent/base/status.h"

namespace kb::agent {

/// A retention period. A value type, cheap to copy; const methods are thread-safe.
class Expiry {
 public:
  /// An instant, UTC (system_clock).
  using TimePoint = std::chrono::system_clock::time_point;

  /// Parses `text` (surrounding whitespace ignored): a Go duration in whole seconds ("720h",
  /// "90m", "1h30m", "45s"; also with days, "1d12h"), or a single count of days "90d", weeks
  /// "2w", calendar months "3mo" or calendar years "1y" (= 12 months). Longer than zero, at
  /// most 100 years.
  /// Errors: kInvalidArgument naming `text` and the accepted forms.
  static StatusOr<Expiry> Parse(std::string_view text);

  /// When a backup taken at `backup_time` expires. Fixed durations are added as is; months
  /// and years move the UTC calendar date, keeping the time of day and clamping the day to
  /// the month's last (2027-01-31 + 1mo = 2027-02-28, 2028-01-31 + 1mo = 2028-02-29,
  /// 2028-02-29 + 1y = 2029-02-28).
  TimePoint ExpiresAt(TimePoint backup_time) const;

  /// ExpiresAt(backup_time) - backup_time, in seconds: the Go duration to write in a Velero
  /// Backup's spec.ttl (FormatGoDuration), which has no calendar months.
  std::chrono::seconds ApproximateTtl(TimePoint backup_time) const;

  /// The text this expiry was parsed from, without surrounding whitespace.
  std::string text() const { return text_; }

 private:
  Expiry() = default;

  std::string text_;
  std::chrono::seconds fixed_{0};  // used when months_ == 0
  int months_ = 0;                 // calendar months; years are 12
};

}  // namespace kb::agent
