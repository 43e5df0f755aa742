#pragma once
// The seam between LeaseKeepAlive's timing (lease_renewer.h) and the gRPC stream
// (grpc_keepalive_stream.h): one renewal at a time. Private to etcd/; tests use fakes.

#include <chrono>
#include <cstdint>
#include <stop_token>

#include "agent/base/clock.h"
#include "agent/base/status.h"

namespace kb::etcd::internal {

/// A Lease.LeaseKeepAlive stream that can renew one lease at a time.
class KeepAliveStream {
 public:
  virtual ~KeepAliveStream() = default;
  /// Sends one LeaseKeepAliveRequest{ID = id} (opening the stream first when there is none)
  /// and waits for its answer until `deadline` (clock.Monotonic() time).
  /// Returns the answer's TTL in seconds; <= 0 means the lease expired or was revoked.
  /// Errors: the stream's error (kUnavailable: member unreachable; the stream is closed and the
  ///   next call opens a new one), kDeadlineExceeded (no answer by `deadline`; the stream is
  ///   cancelled), kCancelled (after Cancel()).
  virtual StatusOr<std::int64_t> Renew(std::int64_t id,
                                       std::chrono::steady_clock::time_point deadline) = 0;
  /// Makes a blocked Renew return soon, and every later one at once, with kCancelled.
  /// Thread-safe.
  virtual void Cancel() = 0;
};

/// Sleeps on `clock` until `until` (monotonic) or until `stop` is requested, in slices of at
/// most 50 ms so that a stop is noticed quickly (Clock::SleepFor cannot be interrupted).
inline void SleepUntil(Clock& clock, std::chrono::steady_clock::time_point until,
                       std::stop_token const& stop) {
  constexpr std::chrono::nanoseconds kSlice = std::chrono::milliseconds(50);
  while (!stop.stop_requested()) {
    auto left = until - clock.Monotonic();
    if (left <= std::chrono::nanoseconds::zero()) return;
    clock.SleepFor(left < kSlice ? left : kSlice);
  }
}

}  // namespace kb::etcd::internal
