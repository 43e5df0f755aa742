#pragma once
// The timing of LeaseKeepAlive without its thread: when to renew, the local deadline, and
// when the lease counts as lost (lease_keep_alive.h says why). Private to etcd/.

#include <chrono>
#include <cstdint>
#include <optional>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "etcd/internal/keepalive_stream.h"
#include "etcd/lease_keep_alive.h"

namespace kb::etcd::internal {

/// Renews one lease through a KeepAliveStream, one Step() at a time. Not thread-safe.
class LeaseRenewer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// `stream` and `clock` must outlive it. The first deadline is
  /// lease.granted_at + lease.ttl - safety_margin; the first renewal is due at once.
  LeaseRenewer(KeepAliveStream& stream, Clock& clock, Lease const& lease,
               std::chrono::milliseconds safety_margin, std::chrono::milliseconds retry_delay);

  /// Does what is due at clock.Monotonic(): declares the lease lost when deadline() has
  /// passed; else, when a renewal is due, sends it and waits for the answer until
  /// min(deadline(), sent + max(TTL/3, 1 s)). An answer with TTL t to a request sent at s
  /// moves the deadline to s + t - safety_margin and the next renewal to TTL/3 after the
  /// answer; a failure retries after retry_delay.
  /// Returns when to call again (never later than deadline()), or std::nullopt once the lease
  /// is lost (status() says why).
  std::optional<TimePoint> Step();

  /// See LeaseKeepAlive::Deadline().
  TimePoint deadline() const { return deadline_; }
  /// OK until lost; then kNotFound (TTL <= 0) or kDeadlineExceeded (not renewed in time).
  Status const& status() const { return status_; }
  /// Renewals answered with TTL > 0.
  std::int64_t renewals() const { return renewals_; }

 private:
  void Lose(Status why);

  KeepAliveStream& stream_;
  Clock& clock_;
  std::int64_t const id_;
  std::chrono::seconds ttl_;
  std::chrono::milliseconds const safety_margin_;
  std::chrono::milliseconds const retry_delay_;
  TimePoint deadline_;
  TimePoint next_renewal_;
  Status last_error_;
  Status status_;
  bool lost_ = false;
  std::int64_t renewals_ = 0;
};

}  // namespace kb::etcd::internal
