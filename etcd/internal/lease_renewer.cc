#include "etcd/internal/lease_renewer.h"

#include <fmt/format.h>

#include <algorithm>

#include "agent/base/log.h"

namespace kb::etcd::internal {

LeaseRenewer::LeaseRenewer(KeepAliveStream& stream, Clock& clock, Lease const& lease,
                           std::chrono::milliseconds safety_margin,
                           std::chrono::milliseconds retry_delay)
    : stream_(stream),
      clock_(clock),
      id_(lease.id),
      ttl_(lease.ttl),
      safety_margin_(safety_margin),
      retry_delay_(retry_delay),
      deadline_(lease.granted_at + lease.ttl - safety_margin),
      next_renewal_(clock.Monotonic()) {}

void LeaseRenewer::Lose(Status why) {
  lost_ = true;
  KB_LOG(etcd, warn, "lease lost lease={:x} renewals={} error=\"{}\"", id_, renewals_,
         why.message());
  status_ = std::move(why);
}

std::optional<LeaseRenewer::TimePoint> LeaseRenewer::Step() {
  if (lost_) return std::nullopt;
  auto const now = clock_.Monotonic();
  if (now >= deadline_) {
    Lose(DeadlineExceededError(fmt::format(
        "etcd lease {:x} was not renewed before its local deadline (TTL {}s, safety margin "
        "{}ms), so it may expire on the server: {}",
        id_, ttl_.count(), safety_margin_.count(),
        last_error_.ok() ? std::string("no renewal was due in time")
                         : std::string(last_error_.message()))));
    return std::nullopt;
  }
  if (now < next_renewal_) return std::min(next_renewal_, deadline_);

  auto const sent = now;
  auto const wait = std::max<std::chrono::nanoseconds>(ttl_ / 3, std::chrono::seconds(1));
  StatusOr<std::int64_t> ttl = stream_.Renew(id_, std::min(deadline_, sent + wait));
  auto const after = clock_.Monotonic();
  if (!ttl.ok()) {
    KB_LOG(etcd, info, "lease renewal failed lease={:x} error=\"{}\"", id_,
           ttl.status().message());
    last_error_ = std::move(ttl).status();
    next_renewal_ = after + retry_delay_;
    return std::min(next_renewal_, deadline_);
  }
  if (*ttl <= 0) {
    Lose(NotFoundError(fmt::format(
        "etcd lease {:x} expired or was revoked on the server (keepalive answered TTL {})", id_,
        *ttl)));
    return std::nullopt;
  }
  ttl_ = std::chrono::seconds(*ttl);
  deadline_ = std::max(deadline_, sent + ttl_ - safety_margin_);
  last_error_ = OkStatus();
  ++renewals_;
  KB_LOG(etcd, debug, "lease renewed lease={:x} ttl={}", id_, ttl_.count());
  next_renewal_ = after + std::chrono::duration_cast<std::chrono::nanoseconds>(ttl_) / 3;
  return std::min(next_renewal_, deadline_);
}

}  // namespace kb::etcd::internal
