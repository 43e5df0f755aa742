#pragma once
// Injected time (STYLE.md §7): wall time for names and expiry, monotonic for deadlines.

#include <chrono>
#include <mutex>

namespace kb {

/// Source of time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time (UTC); for names, created-at and expiry.
  virtual std::chrono::system_clock::time_point Now() = 0;
  /// Monotonic time; for deadlines and rates.
  virtual std::chrono::steady_clock::time_point Monotonic() = 0;
  /// Blocks the caller for `d` (a fake advances its time instead).
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

/// The real clock. Thread-safe.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point Monotonic() override;
  void SleepFor(std::chrono::nanoseconds d) override;
  /// The process-wide instance.
  static SystemClock& Instance();
};

/// A clock for tests: time moves only by Advance() or SleepFor(). Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = {}) : wall_(start) {}
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point Monotonic() override;
  void SleepFor(std::chrono::nanoseconds d) override { Advance(d); }
  void Advance(std::chrono::nanoseconds d);
  /// Total time slept through SleepFor/Advance.
  std::chrono::nanoseconds slept() const;

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::nanoseconds mono_{0};
};

/// Formats `t` as RFC 3339 UTC with second precision, e.g. "2026-11-24T02:00:04Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
/// Formats `t` as a compact UTC stamp for names, e.g. "20261124T020004Z".
std::string FormatCompactUtc(std::chrono::system_clock::time_point t);
/// Parses RFC 3339 UTC ("2026-11-24T02:00:04Z", optional fraction); false on bad input.
bool ParseRfc3339(std::string const& text, std::chrono::system_clock::time_point& out);
/// Parses a Go-style duration ("720h", "30m", "1h30m0s", "90s", also "d" days) into seconds;
/// false on bad input, never throws (numbers of more than 12 digits and totals beyond 2^50 s
/// are bad input).
bool ParseGoDuration(std::string const& text, std::chrono::seconds& out);
/// Formats seconds as a Go duration string the way Go prints it ("720h0m0s").
std::string FormatGoDuration(std::chrono::seconds d);

}  // namespace kb
