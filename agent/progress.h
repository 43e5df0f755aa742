#pragma once
// Progress of long operations on a terminal: bytes, rate, ETA, redrawn on one stderr line.
// Silent when stderr is not a TTY (scripts get --output json instead).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/base/clock.h"

namespace kb::agent {

/// What Progress counts.
enum class ProgressUnit { kBytes, kItems };

/// Thread-safe progress line. Update() may be called from any thread, as often as wanted;
/// the line is redrawn at most 5 times a second.
class Progress {
 public:
  /// `label`: what is running ("snapshot", "upload"). `enabled`: false = silent. `unit`: what
  /// Update's numbers count (bytes, shown as KiB/MiB; or items). Default: bytes.
  Progress(std::string label, bool enabled, Clock& clock = SystemClock::Instance(),
           ProgressUnit unit = ProgressUnit::kBytes);
  ~Progress();
  /// Reports `done` bytes (or items) of `total` (0 = unknown), and `detail` after them when not empty
  /// (e.g. "12/57 types, 4212 items").
  void Update(std::uint64_t done, std::uint64_t total, std::string_view detail = {});
  /// Clears the line.
  void Done();
  /// True when stderr is a terminal.
  static bool StderrIsTty();

 private:
  std::string label_;
  bool enabled_;
  Clock& clock_;
  ProgressUnit unit_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drawn_ = false;
};

}  // namespace kb::agent
