#pragma once
// A process started in the background for a test (the kbackup daemon): signals, wait with a
// deadline, its output in a file. Killed (SIGKILL) if still running when destroyed.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kb::testing {

class BackgroundProcess {
 public:
  /// Starts `argv` with the test's environment plus `env` ("K=V"), stdout and stderr appended
  /// to `log_file`. Fails the test (and running() is false) when it cannot start.
  BackgroundProcess(std::vector<std::string> const& argv, std::vector<std::string> const& env,
                    std::string log_file);
  ~BackgroundProcess();
  BackgroundProcess(BackgroundProcess const&) = delete;
  BackgroundProcess& operator=(BackgroundProcess const&) = delete;

  /// Sends `signal`.
  void Signal(int signal) const;
  /// True while it has not exited.
  bool running();
  /// Waits up to `timeout` for it to exit; its exit code (128 + signal when killed), or
  /// nullopt when it is still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  /// What it wrote so far.
  std::string Log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_file_;
};

/// Polls `condition` every 200 ms until it is true or `timeout` passes; returns its last value.
template <typename F>
bool WaitUntil(std::chrono::milliseconds timeout, F&& condition) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts {0, 200'000'000};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace kb::testing
