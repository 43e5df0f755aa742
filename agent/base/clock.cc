#include "agent/base/clock.h"

#include <charconv>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <string>
#include <thread>

namespace kb {

std::chrono::system_clock::time_point SystemClock::Now() {
  return std::chrono::system_clock::now();
}
std::chrono::steady_clock::time_point SystemClock::Monotonic() {
  return std::chrono::steady_clock::now();
}
void SystemClock::SleepFor(std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }
SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

std::chrono::system_clock::time_point FakeClock::Now() {
  std::lock_guard lock(mu_);
  return wall_;
}
std::chrono::steady_clock::time_point FakeClock::Monotonic() {
  std::lock_guard lock(mu_);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(mono_));
}
void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += d;
}
std::chrono::nanoseconds FakeClock::slept() const {
  std::lock_guard lock(mu_);
  return mono_;
}

namespace {
std::tm ToUtc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
}  // namespace

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  std::tm tm = ToUtc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string FormatCompactUtc(std::chrono::system_clock::time_point t) {
  std::tm tm = ToUtc(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool ParseRfc3339(std::string const& text, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return false;
  }
  std::size_t i = static_cast<std::size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  if (i + 1 != text.size() || (text[i] != 'Z' && text[i] != 'z')) return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t tt = timegm(&tm);
  if (tt == static_cast<std::time_t>(-1)) return false;
  out = std::chrono::system_clock::from_time_t(tt);
  return true;
}

bool ParseGoDuration(std::string const& text, std::chrono::seconds& out) {
  if (text.empty()) return false;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i == text.size() || i - start > 12) return false;  // ≤ 12 digits: no overflow
    long long n = 0;
    std::from_chars(text.data() + start, text.data() + i, n);
    char unit = text[i++];
    long long scale = 0;
    if (unit == 'h') {
      scale = 3600;
    } else if (unit == 'm') {
      if (i < text.size() && text[i] == 's') return false;  // ms: sub-second, not supported
      scale = 60;
    } else if (unit == 's') {
      scale = 1;
    } else if (unit == 'd') {
      scale = 86400;
    } else {
      return false;
    }
    total += n * scale;  // 12 digits × 86400 × a few units stays far below 2^63
    if (total > (1LL << 50)) return false;  // ~35 million years: nonsense, and overflow-safe
  }
  out = std::chrono::seconds(total);
  return true;
}

std::string FormatGoDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s == 0) return "0s";
  if (s >= 3600) return fmt::format("{}h{}m{}s", s / 3600, (s % 3600) / 60, s % 60);
  if (s >= 60) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace kb
