#pragma once
// One leader per cluster among kbackup agents, on an etcd lease: the uploader runs only on the
// agent that holds `<prefix>/<cluster>/leader`. Spec: shared/spec/etcd-api.md §5 (a single
// key instead of concurrency.Election's key per candidate: no queue, followers poll).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "etcd/etcd_client.h"
#include "etcd/kv.h"
#include "etcd/lease_keep_alive.h"

namespace kb::etcd {

/// A change of leadership, as LeaderElectionOptions::on_change reports it.
struct LeadershipChange {
  bool leader = false;  ///< true: this agent became leader; false: it stopped being leader
  std::int64_t create_revision = 0;  ///< of the leader key it won (gained) or held (lost)
  /// Why leadership ended (OK when gained, and after Resign): kNotFound (the lease expired or
  /// was revoked on the server), kDeadlineExceeded (no keepalive answered before the local
  /// deadline), kAborted (the key was deleted or re-created by someone else).
  ::kb::Status reason;
};

/// Where and how to campaign.
struct LeaderElectionOptions {
  /// Key prefix; must start with '/' and not end with '/'. Default: "/kbackup".
  std::string prefix = "/kbackup";
  /// The cluster: one leader per cluster name, key "<prefix>/<cluster>/leader". No '/'.
  /// Default: none (required).
  std::string cluster;
  /// This agent's name, the value of the key while it leads (what Leader() returns).
  /// Default: none (required).
  std::string node_name;
  /// TTL of the lease (seconds; at least 2, etcd's minimum). A dead leader is replaced about
  /// this long after its last renewal. Default: 15 s.
  std::chrono::seconds ttl{15};
  /// IsLeader() turns false this long before the lease can expire on the server (see
  /// LeaderElection); must be positive and below ttl/2. Default: 0 = ttl/5 (3 s for 15 s).
  std::chrono::milliseconds safety_margin{0};
  /// Period of the loop Start() runs: a campaign while follower, StillLeader() while leader.
  /// At most ttl. Default: 0 = ttl/3.
  std::chrono::milliseconds poll_interval{0};
  /// While leading, how often Start()'s loop checks in etcd that the key still holds this
  /// agent's lease (StillLeader()); the keepalive proves the lease itself every ttl/3 anyway.
  /// A caller that checks StillLeader() before each piece of leader-only work (the agent) can
  /// raise it to save a round trip per poll. From poll_interval to ttl. Default: 0 =
  /// poll_interval.
  std::chrono::milliseconds leader_check_interval{0};
  /// Called on each change of leadership, in order, from the thread that saw it (the loop, the
  /// keepalive thread, or a caller of Campaign/StillLeader/Resign). It must return quickly and
  /// must not call Resign() nor destroy the election. Default: none (poll IsLeader()).
  std::function<void(LeadershipChange const&)> on_change;
};

/// Campaigns for `<prefix>/<cluster>/leader` with a lease of `ttl`, keeps the lease alive while
/// it exists, and tells whether this agent leads.
///
/// Campaign: one Txn "if create_revision(key) == 0 then Put(key, node_name, lease) else
/// Range(key)"; the lease is granted on first need and kept alive on one LeaseKeepAlive stream
/// (every ttl/3), also while following, and replaced when lost.
///
/// Guarantees, assuming (A1) this host's monotonic clock and the etcd members' clocks run at
/// the same rate (no host suspend or VM pause: CLOCK_MONOTONIC stops then), and (A2) only
/// LeaderElection writes the key:
/// - No overlap: IsLeader() is true only before the local deadline = send time of the last
///   answered keepalive (or of the grant) + TTL - safety_margin. etcd cannot expire the lease
///   before send time + TTL, and another agent can create the key only after the lease ended.
///   So between one agent's IsLeader() turning false and another's turning true there is at
///   least safety_margin, whatever the network does. Resign() stops believing before revoking.
/// - Loss is noticed: at the local deadline at the latest when keepalives fail (the member is
///   down or partitioned); at once when a keepalive answers TTL <= 0; within
///   leader_check_interval (or at the next StillLeader()) when the key was deleted or changed.
///   on_change reports each.
/// - Takeover: after a leader dies its lease expires on the server TTL after its last renewal
///   (plus etcd's expiry scan, 0.5 s); a follower running Start() wins within poll_interval
///   after that. When the etcd raft leader dies too, the new raft leader restarts every lease's
///   TTL, plus one election timeout, once elected: a few seconds more (measured with TTL 3 s
///   on loopback: 3.5 s when another member died, up to 6.5 s when the raft leader did).
/// - Not covered: IsLeader() is a belief at the instant of the call. Work started as leader
///   may go on after the lease is lost (a stalled process, or a run longer than the margin).
///   Call StillLeader() right before each run, and guard etcd writes that must come from the
///   leader only with LeaderGuard(). If A2 is broken (someone deletes the key) two agents can
///   lead until the old one's next StillLeader().
///
/// Thread-safe. Campaign/StillLeader/Leader/Resign run one at a time (each a few unary calls of
/// at most the client's call_timeout); IsLeader() never waits for I/O.
class LeaderElection {
 public:
  /// An election on `client` (which must outlive it); nothing is sent yet.
  /// Errors: kInvalidArgument (see LeaderElectionOptions; the message names the field).
  static StatusOr<std::unique_ptr<LeaderElection>> Create(EtcdClient& client,
                                                          LeaderElectionOptions options,
                                                          Clock& clock = SystemClock::Instance());
  /// Stops the loop and the keepalive WITHOUT resigning: like a crash, the lease (and the key,
  /// if held) expires on the server within the TTL. Call Resign() first to hand over at once.
  ~LeaderElection();
  LeaderElection(LeaderElection const&) = delete;
  LeaderElection& operator=(LeaderElection const&) = delete;

  /// The leader key, e.g. "/kbackup/prod/leader".
  std::string const& key() const { return key_; }

  /// One campaign: grants a lease when none is alive (and starts its keepalive), then the
  /// campaign Txn. Returns whether this agent leads now. Not idempotent in etcd (it may create
  /// the key), but safe to repeat: a key already held by our lease counts as ours.
  /// Errors: the client's (kUnavailable, kDeadlineExceeded: retry later; a lease that expired
  ///   meanwhile is replaced and the Txn sent once more).
  StatusOr<bool> Campaign();

  /// Starts a loop on a thread of its own: every poll_interval, Campaign() while not leader,
  /// StillLeader() while leader; errors are logged and the loop goes on. No-op when running.
  void Start();

  /// Whether this agent leads: it won a campaign, has seen no sign of loss, and the local
  /// deadline of its lease has not passed. Never blocks on I/O.
  bool IsLeader() const;

  /// Checks in etcd (one linearizable Range) that the key still holds our lease and the
  /// create_revision we won, then that the local deadline has not passed. A key deleted or
  /// changed ends leadership (on_change, kAborted). A failed Range returns false and changes
  /// nothing. Call it right before each leader-only run.
  bool StillLeader();

  /// The node name in the key (a linearizable Range), or "" when nobody leads.
  /// Errors: the client's (kUnavailable, kDeadlineExceeded: retryable).
  StatusOr<std::string> Leader();

  /// While leader: a Txn compare "create_revision(key) == the one we won", to add to etcd
  /// writes that only the leader may make. std::nullopt when not leader.
  std::optional<Compare> LeaderGuard() const;

  /// Leaves the election: stops the loop, stops believing it leads, stops the keepalive, then
  /// revokes the lease (LeaseRevoke deletes the key at once, so a follower wins within its
  /// poll_interval). Start() or Campaign() join again.
  /// Errors: LeaseRevoke's (kUnavailable, kDeadlineExceeded): leadership is given up anyway
  ///   and the lease expires within its TTL. A lease already gone is not an error.
  ::kb::Status Resign();

 private:
  LeaderElection(EtcdClient& client, LeaderElectionOptions options, Clock& clock);
  ::kb::Status EnsureLease();
  StatusOr<TxnResult> CampaignTxn();
  void OnLeaseLost(std::int64_t lease_id, ::kb::Status const& why);
  /// Ends leadership (under mu_): queues the change when we were leader.
  void EndLeadershipLocked(::kb::Status why);
  /// Calls on_change for the queued changes, in order (not under mu_).
  void DeliverChanges();
  void StopLoop();
  void Loop(std::stop_token stop);

  EtcdClient& client_;
  LeaderElectionOptions const options_;
  Clock& clock_;
  std::string const key_;
  std::mutex op_mu_;       // one Campaign/StillLeader/Leader/Resign at a time (held across I/O)
  mutable std::mutex mu_;  // guards the fields below; never held across I/O
  std::unique_ptr<LeaseKeepAlive> keepalive_;  // the current lease's, or null
  bool leader_ = false;
  std::int64_t create_revision_ = 0;
  std::deque<LeadershipChange> changes_;  // queued for on_change
  std::mutex deliver_mu_;                 // held while calling on_change: keeps the order
  std::mutex loop_mu_;                    // guards loop_
  std::jthread loop_;
};

}  // namespace kb::etcd
