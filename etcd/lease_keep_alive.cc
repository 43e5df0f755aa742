#include "etcd/lease_keep_alive.h"

#include "etcd/internal/keepalive_stream.h"
#include "etcd/internal/lease_renewer.h"

namespace kb::etcd {

LeaseKeepAlive::LeaseKeepAlive(std::unique_ptr<internal::KeepAliveStream> stream, Clock& clock,
                               Lease lease, KeepAliveOptions options)
    : clock_(clock),
      lease_id_(lease.id),
      on_lost_(std::move(options.on_lost)),
      stream_(std::move(stream)),
      renewer_(std::make_unique<internal::LeaseRenewer>(
          *stream_, clock, lease, options.safety_margin, options.retry_delay)),
      deadline_(renewer_->deadline()),
      thread_([this](std::stop_token stop) { Run(std::move(stop)); }) {}

LeaseKeepAlive::~LeaseKeepAlive() {
  thread_.request_stop();
  stream_->Cancel();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeepAlive::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::optional<std::chrono::steady_clock::time_point> next = renewer_->Step();
    if (stop.stop_requested()) return;  // a cancelled renewal says nothing about the lease
    {
      std::lock_guard<std::mutex> lock(mu_);
      deadline_ = renewer_->deadline();
      renewals_ = renewer_->renewals();
      status_ = renewer_->status();
    }
    if (!next) {
      if (on_lost_) on_lost_(renewer_->status());
      return;
    }
    internal::SleepUntil(clock_, *next, stop);
  }
}

std::chrono::steady_clock::time_point LeaseKeepAlive::Deadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deadline_;
}

bool LeaseKeepAlive::Alive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_.ok() && clock_.Monotonic() < deadline_;
}

::kb::Status LeaseKeepAlive::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::int64_t LeaseKeepAlive::renewals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return renewals_;
}

}  // namespace kb::etcd
