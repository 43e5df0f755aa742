#pragma once
// The parts of LeaderElection without I/O: option checks, the leader key, the campaign Txn and
// what its answer means. Private to etcd/.

#include <cstdint>
#include <string>

#include "agent/base/status.h"
#include "etcd/kv.h"
#include "etcd/leader_election.h"

namespace kb::etcd::internal {

/// `options` with defaults filled in (safety_margin 0 → ttl/5, poll_interval 0 → ttl/3).
/// Errors: kInvalidArgument naming the field: empty cluster or node_name, a cluster with '/',
///   a prefix not starting with '/' or ending with '/', ttl < 2 s, a safety margin not below
///   ttl/2, a poll interval above ttl.
StatusOr<LeaderElectionOptions> CheckElectionOptions(LeaderElectionOptions options);

/// The leader key: "<prefix>/<cluster>/leader".
std::string LeaderKey(LeaderElectionOptions const& options);

/// The campaign: if create_revision(key) == 0 (no key) then Put(key, node_name, lease) else
/// Range(key).
TxnRequest CampaignTxn(std::string const& key, std::string const& node_name,
                       std::int64_t lease_id);

/// What a campaign's answer says.
struct CampaignOutcome {
  bool leader = false;              ///< we hold the key (just created, or already ours)
  std::int64_t create_revision = 0; ///< of the key when leader, else of the holder's key
  std::string holder;               ///< node name in the key (ours when leader); empty: none
  std::int64_t holder_lease = 0;    ///< lease of the key
};

/// Reads `result` of CampaignTxn(key, node_name, lease_id): succeeded = we created the key at
/// result.revision; else the Range shows the holder, which is us when its lease is ours.
CampaignOutcome ReadCampaign(TxnResult const& result, std::string const& node_name,
                             std::int64_t lease_id);

/// True when `range` (a Range of the leader key) shows the key still held by lease `lease_id`
/// with create_revision `create_revision`, i.e. not deleted nor re-created since we won.
bool KeyStillOurs(RangeResult const& range, std::int64_t lease_id, std::int64_t create_revision);

}  // namespace kb::etcd::internal
