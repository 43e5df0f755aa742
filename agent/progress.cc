#include "agent/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "agent/output.h"

namespace kb::agent {

Progress::Progress(std::string label, bool enabled, Clock& clock, ProgressUnit unit)
    : label_(std::move(label)), enabled_(enabled), clock_(clock), unit_(unit),
      start_(clock.Monotonic()) {}

Progress::~Progress() { Done(); }

bool Progress::StderrIsTty() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::Update(std::uint64_t done, std::uint64_t total, std::string_view detail) {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  auto now = clock_.Monotonic();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  drawn_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  bool const items = unit_ == ProgressUnit::kItems;
  auto amount = [&](std::uint64_t n) { return items ? std::to_string(n) : HumanBytes(n); };
  std::string line = fmt::format("{}: {}", label_, amount(done));
  if (total > 0) {
    line += fmt::format(" / {}{} ({:.0f}%)", amount(total), items ? " items" : "",
                        100.0 * static_cast<double>(done) / static_cast<double>(total));
  }
  line += fmt::format("  {}{}/s", amount(static_cast<std::uint64_t>(rate)), items ? " items" : "");
  if (total > done && rate > 0) {
    auto eta = static_cast<long long>(static_cast<double>(total - done) / rate);
    line += fmt::format("  ETA {}:{:02}", eta / 60, eta % 60);
  }
  if (!detail.empty()) line += fmt::format("  {}", detail);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void Progress::Done() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace kb::agent
