#include "etcd/internal/election_logic.h"

#include <fmt/format.h>

namespace kb::etcd::internal {

StatusOr<LeaderElectionOptions> CheckElectionOptions(LeaderElectionOptions o) {
  using std::chrono::milliseconds;
  if (o.cluster.empty() || o.cluster.find('/') != std::string::npos) {
    return InvalidArgumentError(fmt::format(
        "leader election: cluster name \"{}\" must be non-empty and without '/'", o.cluster));
  }
  if (o.node_name.empty()) {
    return InvalidArgumentError("leader election: node name must be non-empty");
  }
  if (!o.prefix.starts_with('/') || o.prefix.ends_with('/')) {
    return InvalidArgumentError(fmt::format(
        "leader election: key prefix \"{}\" must start with '/' and not end with '/'",
        o.prefix));
  }
  if (o.ttl < std::chrono::seconds(2)) {
    return InvalidArgumentError(fmt::format(
        "leader election: lease TTL {} s is below etcd's minimum of 2 s", o.ttl.count()));
  }
  milliseconds const ttl = o.ttl;
  if (o.safety_margin == milliseconds::zero()) o.safety_margin = ttl / 5;
  if (o.safety_margin < milliseconds::zero() || o.safety_margin * 2 >= ttl) {
    return InvalidArgumentError(fmt::format(
        "leader election: safety margin {} ms must be positive and below half the TTL ({} s)",
        o.safety_margin.count(), o.ttl.count()));
  }
  if (o.poll_interval == milliseconds::zero()) o.poll_interval = ttl / 3;
  if (o.poll_interval < milliseconds::zero() || o.poll_interval > ttl) {
    return InvalidArgumentError(fmt::format(
        "leader election: poll interval {} ms must be positive and at most the TTL ({} s)",
        o.poll_interval.count(), o.ttl.count()));
  }
  if (o.leader_check_interval == milliseconds::zero()) o.leader_check_interval = o.poll_interval;
  if (o.leader_check_interval < o.poll_interval || o.leader_check_interval > ttl) {
    return InvalidArgumentError(fmt::format(
        "leader election: leader check interval {} ms must be from the poll interval ({} ms) to "
        "the TTL ({} s)",
        o.leader_check_interval.count(), o.poll_interval.count(), o.ttl.count()));
  }
  return o;
}

std::string LeaderKey(LeaderElectionOptions const& options) {
  return options.prefix + "/" + options.cluster + "/leader";
}

TxnRequest CampaignTxn(std::string const& key, std::string const& node_name,
                       std::int64_t lease_id) {
  TxnRequest txn;
  txn.compare.push_back(Compare::CreateRevision(key, Compare::Result::kEqual, 0));
  txn.success.push_back(TxnOp::Put(key, node_name, lease_id));
  txn.failure.push_back(TxnOp::Range(key));
  return txn;
}

CampaignOutcome ReadCampaign(TxnResult const& result, std::string const& node_name,
                             std::int64_t lease_id) {
  CampaignOutcome out;
  if (result.succeeded) {
    out.leader = true;
    out.create_revision = result.revision;
    out.holder = node_name;
    out.holder_lease = lease_id;
    return out;
  }
  if (result.responses.empty() || result.responses.front().range.kvs.empty()) return out;
  KeyValue const& kv = result.responses.front().range.kvs.front();
  out.leader = kv.lease == lease_id;
  out.create_revision = kv.create_revision;
  out.holder = kv.value;
  out.holder_lease = kv.lease;
  return out;
}

bool KeyStillOurs(RangeResult const& range, std::int64_t lease_id,
                  std::int64_t create_revision) {
  if (range.kvs.size() != 1) return false;
  KeyValue const& kv = range.kvs.front();
  return kv.lease == lease_id && kv.create_revision == create_revision;
}

}  // namespace kb::etcd::internal
