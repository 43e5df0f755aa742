#pragma once
// etcd leases as EtcdClient grants them, and keeping one alive on a Lease.LeaseKeepAlive
// stream. Spec: shared/spec/etcd-api.md §1.6 and §5.1.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/base/clock.h"
#include "agent/base/status.h"

namespace kb::etcd {

namespace internal {
class KeepAliveStream;
class LeaseRenewer;
}  // namespace internal

/// A lease granted by EtcdClient::LeaseGrant.
struct Lease {
  std::int64_t id = 0;  ///< etcd lease ID (never 0)
  /// TTL the server granted. etcd raises a TTL below its minimum (1.5 election timeouts,
  /// rounded up: 2 s with default raft timings) to that minimum.
  std::chrono::seconds ttl{0};
  /// clock.Monotonic() just before the grant was sent. The server cannot expire the lease
  /// before granted_at + ttl: it starts the TTL when it applies the grant, which is later.
  std::chrono::steady_clock::time_point granted_at{};
};

/// How EtcdClient::KeepAlive keeps a lease alive.
struct KeepAliveOptions {
  /// Taken off every deadline: Deadline() is this much earlier than the earliest time the
  /// server may expire the lease. Must be less than 2/3 of the lease TTL. Default: 0.
  std::chrono::milliseconds safety_margin{0};
  /// Pause after a failed renewal (stream broken, no answer) before the next try on a new
  /// stream. Default: 500 ms.
  std::chrono::milliseconds retry_delay{500};
  /// Called once, on the keepalive thread, when the lease is lost (status() says why; see
  /// LeaseKeepAlive). It must not block nor destroy the LeaseKeepAlive. Default: none.
  std::function<void(::kb::Status const&)> on_lost;
};

/// Keeps one lease alive from a thread of its own, on one LeaseKeepAlive stream (a new one
/// after the stream breaks): a renewal right away, then TTL/3 after each answer (as etcd's
/// clientv3 does), and every retry_delay after a failure.
///
/// The deadline: each renewal is timed from when its request was SENT, so after an answer
/// with TTL t to a request sent at s the lease lives on the server at least until s + t
/// (etcd restarts the TTL when it handles the renewal, later than s; a new raft leader only
/// extends leases). Deadline() = s + t - safety_margin for the last answered renewal (at
/// first granted_at + ttl - safety_margin). That holds while this host's monotonic clock and
/// the etcd leader's run at the same rate; a host suspend or VM pause that stops
/// CLOCK_MONOTONIC is not seen.
///
/// The lease is LOST, for good, when (a) an answer has TTL <= 0 (expired or revoked on the
/// server: kNotFound), or (b) Deadline() passes with no renewal answered (kDeadlineExceeded,
/// with the last error). Then the thread stops and on_lost runs. Renewals stop at Deadline(),
/// so with a safety margin the lease expires on the server at most that margin later.
/// Thread-safe. Must not outlive the EtcdClient that made it.
class LeaseKeepAlive {
 public:
  /// Stops the thread and cancels the stream. Does not revoke the lease: it expires on its own
  /// within its TTL (EtcdClient::LeaseRevoke ends it at once).
  ~LeaseKeepAlive();
  LeaseKeepAlive(LeaseKeepAlive const&) = delete;
  LeaseKeepAlive& operator=(LeaseKeepAlive const&) = delete;

  /// The lease kept alive.
  std::int64_t lease_id() const { return lease_id_; }
  /// Monotonic time until which the lease is known to live on the server, minus safety_margin
  /// (see the class comment).
  std::chrono::steady_clock::time_point Deadline() const;
  /// True while clock.Monotonic() < Deadline() and the lease was not lost.
  bool Alive() const;
  /// OK while not lost; then why: kNotFound (the server said TTL <= 0: the lease expired or
  /// was revoked), kDeadlineExceeded (no renewal answered before Deadline(); the message holds
  /// the last error, e.g. the member is unreachable).
  ::kb::Status status() const;
  /// Renewals answered so far with TTL > 0.
  std::int64_t renewals() const;

 private:
  friend class EtcdClient;
  LeaseKeepAlive(std::unique_ptr<internal::KeepAliveStream> stream, Clock& clock, Lease lease,
                 KeepAliveOptions options);
  void Run(std::stop_token stop);

  Clock& clock_;
  std::int64_t const lease_id_;
  std::function<void(::kb::Status const&)> on_lost_;
  std::unique_ptr<internal::KeepAliveStream> stream_;
  std::unique_ptr<internal::LeaseRenewer> renewer_;  // used by the thread only
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point deadline_;  // guarded by mu_
  ::kb::Status status_;                             // guarded by mu_
  std::int64_t renewals_ = 0;                       // guarded by mu_
  std::jthread thread_;                             // last: started after everything above
};

}  // namespace kb::etcd
