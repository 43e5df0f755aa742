#include "etcd/leader_election.h"

#include <fmt/format.h>

#include "agent/base/log.h"
#include "etcd/internal/election_logic.h"
#include "etcd/internal/keepalive_stream.h"

namespace kb::etcd {

StatusOr<std::unique_ptr<LeaderElection>> LeaderElection::Create(EtcdClient& client,
                                                                 LeaderElectionOptions options,
                                                                 Clock& clock) {
  KB_ASSIGN_OR_RETURN(options, internal::CheckElectionOptions(std::move(options)));
  return std::unique_ptr<LeaderElection>(new LeaderElection(client, std::move(options), clock));
}

LeaderElection::LeaderElection(EtcdClient& client, LeaderElectionOptions options, Clock& clock)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      key_(internal::LeaderKey(options_)) {}

LeaderElection::~LeaderElection() {
  StopLoop();
  std::unique_ptr<LeaseKeepAlive> keepalive;
  {
    std::lock_guard<std::mutex> lock(mu_);
    keepalive = std::move(keepalive_);
  }
  keepalive.reset();  // outside mu_: its thread may be in OnLeaseLost
}

bool LeaderElection::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_ && keepalive_ != nullptr && keepalive_->Alive();
}

std::optional<Compare> LeaderElection::LeaderGuard() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leader_ || keepalive_ == nullptr || !keepalive_->Alive()) return std::nullopt;
  return Compare::CreateRevision(key_, Compare::Result::kEqual, create_revision_);
}

void LeaderElection::EndLeadershipLocked(::kb::Status why) {
  if (!leader_) return;
  leader_ = false;
  if (why.ok()) {
    KB_LOG(etcd, info, "leadership resigned key={} node={} create_revision={}", key_,
           options_.node_name, create_revision_);
  } else {
    KB_LOG(etcd, warn, "leadership lost key={} node={} create_revision={} error=\"{}\"", key_,
           options_.node_name, create_revision_, why.message());
  }
  changes_.push_back(LeadershipChange{false, create_revision_, std::move(why)});
}

void LeaderElection::DeliverChanges() {
  std::lock_guard<std::mutex> deliver(deliver_mu_);
  while (true) {
    LeadershipChange change;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (changes_.empty()) return;
      change = std::move(changes_.front());
      changes_.pop_front();
    }
    if (options_.on_change) options_.on_change(change);
  }
}

void LeaderElection::OnLeaseLost(std::int64_t lease_id, ::kb::Status const& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keepalive_ == nullptr || keepalive_->lease_id() != lease_id) return;
    EndLeadershipLocked(why);
  }
  DeliverChanges();
}

::kb::Status LeaderElection::EnsureLease() {
  std::unique_ptr<LeaseKeepAlive> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keepalive_ != nullptr && keepalive_->Alive()) return OkStatus();
    if (keepalive_ != nullptr) {
      ::kb::Status why = keepalive_->status();
      if (why.ok()) why = DeadlineExceededError("the lease's local deadline passed");
      EndLeadershipLocked(std::move(why));
    }
    old = std::move(keepalive_);
  }
  DeliverChanges();
  if (old != nullptr) {
    std::int64_t const old_id = old->lease_id();
    bool const maybe_alive = old->status().code() != StatusCode::kNotFound;
    old.reset();  // outside mu_: its thread may be in OnLeaseLost
    // Best effort: a lease we stopped renewing may still hold the key for up to the margin.
    if (maybe_alive) IgnoreError(client_.LeaseRevoke(old_id));
  }
  KB_ASSIGN_OR_RETURN(Lease lease, client_.LeaseGrant(options_.ttl));
  KeepAliveOptions ka;
  ka.safety_margin = options_.safety_margin;
  ka.on_lost = [this, id = lease.id](::kb::Status const& why) { OnLeaseLost(id, why); };
  KB_ASSIGN_OR_RETURN(std::unique_ptr<LeaseKeepAlive> keepalive,
                      client_.KeepAlive(lease, std::move(ka)));
  std::lock_guard<std::mutex> lock(mu_);
  keepalive_ = std::move(keepalive);
  return OkStatus();
}

StatusOr<TxnResult> LeaderElection::CampaignTxn() {
  std::int64_t lease_id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease_id = keepalive_->lease_id();
  }
  return client_.Txn(internal::CampaignTxn(key_, options_.node_name, lease_id));
}

StatusOr<bool> LeaderElection::Campaign() {
  std::lock_guard<std::mutex> op(op_mu_);
  KB_RETURN_IF_ERROR(EnsureLease());
  StatusOr<TxnResult> result = CampaignTxn();
  if (!result.ok() && result.status().code() == StatusCode::kNotFound) {
    // etcd no longer knows our lease (it expired before its keepalive noticed): drop it and
    // campaign once more with a new one.
    std::unique_ptr<LeaseKeepAlive> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      EndLeadershipLocked(result.status());
      gone = std::move(keepalive_);
    }
    gone.reset();  // outside mu_
    DeliverChanges();
    KB_RETURN_IF_ERROR(EnsureLease());
    result = CampaignTxn();
  }
  if (!result.ok()) return std::move(result).status();
  std::int64_t gained_revision = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    internal::CampaignOutcome outcome =
        internal::ReadCampaign(*result, options_.node_name, keepalive_->lease_id());
    if (outcome.leader && !leader_ && keepalive_->Alive()) {
      leader_ = true;
      create_revision_ = outcome.create_revision;
      gained_revision = create_revision_;
      changes_.push_back(LeadershipChange{true, create_revision_, OkStatus()});
    } else if (!outcome.leader) {
      KB_LOG(etcd, debug, "campaign lost key={} holder={} holder_lease={:x}", key_,
             outcome.holder, outcome.holder_lease);
    }
  }
  if (gained_revision != 0) {
    KB_LOG(etcd, info, "leadership gained key={} node={} create_revision={}", key_,
           options_.node_name, gained_revision);
  }
  DeliverChanges();
  return IsLeader();
}

bool LeaderElection::StillLeader() {
  std::lock_guard<std::mutex> op(op_mu_);
  std::int64_t lease_id = 0;
  std::int64_t create_revision = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!leader_ || keepalive_ == nullptr) return false;
    lease_id = keepalive_->lease_id();
    create_revision = create_revision_;
  }
  StatusOr<RangeResult> range = client_.Range(key_);
  if (!range.ok()) {
    KB_LOG(etcd, warn, "leadership check failed key={} error=\"{}\"", key_,
           range.status().message());
    return false;
  }
  if (!internal::KeyStillOurs(*range, lease_id, create_revision)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (leader_ && create_revision_ == create_revision) {
        std::string const holder = range->kvs.empty() ? std::string("nobody")
                                                      : "\"" + range->kvs.front().value + "\"";
        EndLeadershipLocked(AbortedError(fmt::format(
            "the leader key {} was deleted or re-created (held by {} now), not by this "
            "agent's lease {:x} from revision {}",
            key_, holder, lease_id, create_revision)));
      }
    }
    DeliverChanges();
    return false;
  }
  return IsLeader();  // the local deadline, after the read
}

StatusOr<std::string> LeaderElection::Leader() {
  std::lock_guard<std::mutex> op(op_mu_);
  KB_ASSIGN_OR_RETURN(RangeResult range, client_.Range(key_));
  if (range.kvs.empty()) return std::string();
  return std::move(range.kvs.front().value);
}

::kb::Status LeaderElection::Resign() {
  StopLoop();
  std::lock_guard<std::mutex> op(op_mu_);
  std::unique_ptr<LeaseKeepAlive> keepalive;
  {
    std::lock_guard<std::mutex> lock(mu_);
    EndLeadershipLocked(OkStatus());
    keepalive = std::move(keepalive_);
  }
  DeliverChanges();
  if (keepalive == nullptr) return OkStatus();
  std::int64_t const lease_id = keepalive->lease_id();
  keepalive.reset();  // stops renewing before the revoke
  ::kb::Status revoked = client_.LeaseRevoke(lease_id);
  if (revoked.code() == StatusCode::kNotFound) return OkStatus();
  if (revoked.ok()) KB_LOG(etcd, info, "resigned key={} lease={:x}", key_, lease_id);
  return revoked;
}

void LeaderElection::Start() {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (loop_.joinable()) return;
  loop_ = std::jthread([this](std::stop_token stop) { Loop(std::move(stop)); });
}

void LeaderElection::StopLoop() {
  std::jthread loop;
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    loop = std::move(loop_);
  }
  if (loop.joinable()) {
    loop.request_stop();
    loop.join();
  }
}

void LeaderElection::Loop(std::stop_token stop) {
  std::chrono::steady_clock::time_point next_check{};  // of StillLeader(), while leading
  while (!stop.stop_requested()) {
    auto const now = clock_.Monotonic();
    auto const next = now + options_.poll_interval;
    if (IsLeader()) {
      if (now >= next_check) {
        (void)StillLeader();
        next_check = now + options_.leader_check_interval;
      }
    } else {
      next_check = {};  // a new leadership is checked at once
      StatusOr<bool> won = Campaign();
      if (!won.ok()) {
        KB_LOG(etcd, warn, "campaign failed key={} node={} error=\"{}\"", key_,
               options_.node_name, won.status().message());
      }
    }
    internal::SleepUntil(clock_, next, stop);
  }
}

}  // namespace kb::etcd
