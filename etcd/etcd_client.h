#pragma once
// A small etcd v3 gRPC client: what kbackup needs from one etcd member (status, revision,
// snapshot stream, a few KV calls, Txn and leases for the leader election).
// Spec: shared/spec/etcd-api.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/base/chunk_sink.h"
#include "agent/base/clock.h"
#include "agent/base/secret.h"
#include "agent/base/status.h"
#include "etcd/kv.h"
#include "etcd/lease_keep_alive.h"

namespace kb::etcd {

/// How to reach etcd and prove who we are. Spec: etcd-api.md §4 (kubeadm TLS layout).
struct EtcdConnectOptions {
  /// Client URLs, tried in order: `https://host:port` (TLS) or `http://host:port` (plaintext).
  /// The first member whose Maintenance.Status answers is used. Default: none (required).
  std::vector<std::string> endpoints;
  /// PEM CA bundle that signed the etcd server cert (kubeadm: /etc/kubernetes/pki/etcd/ca.crt).
  /// Used for https:// only. Default: empty = the system trust store.
  std::string ca_file;
  /// PEM client cert signed by the etcd CA (kubeadm: etcd/healthcheck-client.crt). Used for
  /// https:// only; goes with `key_file`. Default: empty = no client cert.
  std::string cert_file;
  /// PEM private key of `cert_file`. Default: empty.
  std::string key_file;
  /// etcd user for Auth.Authenticate; its token is sent on every call. Default: empty = no
  /// user (a TLS client cert CN, or no auth).
  std::string user;
  /// Password of `user`; never logged nor put in an error message. Default: empty.
  Secret<> password;
  /// How long one endpoint gets to answer Status (and Authenticate) at Connect. Default: 5 s.
  std::chrono::seconds dial_timeout{5};
  /// Deadline of each later unary call (Status, Range, Put, Delete, Txn, LeaseGrant,
  /// LeaseRevoke). Default: 30 s.
  std::chrono::seconds call_timeout{30};
  /// Snapshot(): a stream that delivers no message for this long is cancelled
  /// (kDeadlineExceeded). There is no overall deadline: big DBs take minutes. Default: 60 s.
  std::chrono::seconds snapshot_stall_timeout{60};
};

/// One member's Maintenance.Status, plus the store revision. Spec: etcd-api.md §1.3.
struct MemberStatus {
  std::string endpoint;             ///< the endpoint that answered
  std::string version;              ///< server version, e.g. "3.6.16"
  std::int64_t db_size = 0;         ///< bytes allocated by the bbolt file (dbSize)
  std::int64_t db_size_in_use = 0;  ///< bytes logically in use (dbSizeInUse, 3.4+)
  std::uint64_t leader = 0;         ///< member ID this member believes is leader (0: none)
  std::uint64_t member_id = 0;      ///< ID of the responding member
  std::uint64_t cluster_id = 0;
  std::uint64_t raft_index = 0;     ///< committed raft index
  std::uint64_t raft_term = 0;
  std::int64_t revision = 0;        ///< current KV revision (from a Range, see CurrentRevision)
  bool is_learner = false;
};

/// What Snapshot() streamed. Spec: etcd-api.md §2.
struct SnapshotInfo {
  std::string endpoint;         ///< the member that sent it
  std::uint64_t db_bytes = 0;   ///< bbolt DB bytes, the 32-byte sha256 trailer excluded
  std::string db_sha256_hex;    ///< sha256 of the DB bytes (= the verified trailer), hex
  std::string storage_version;  ///< 3.6+ `version` of the stream (e.g. "3.6.0"); else empty
  /// CurrentRevision() just before the stream opened: a lower bound of the snapshot's
  /// revision. The exact one is in the file (ReadSnapshotDbInfo).
  std::int64_t revision_at_start = 0;
  std::string etcd_version;     ///< server version from Status, e.g. "3.4.23"
};

/// Called during Snapshot(): bytes received so far (trailer included) and the expected total
/// (DB bytes + 32), both in bytes.
using SnapshotProgressFn =
    std::function<void(std::uint64_t bytes_received, std::uint64_t total_estimate)>;

/// A connection to one etcd member, chosen by Connect(). Calls may run from several threads
/// (the auth token is guarded); a Snapshot stream holds one gRPC call until it ends.
class EtcdClient {
 public:
  /// Connects to the first endpoint of `options` whose Maintenance.Status answers within
  /// dial_timeout, authenticating first when `user` is set. `clock` gives gRPC deadlines.
  /// Errors: kInvalidArgument (bad endpoint URL, cert without key), kNotFound/kPermissionDenied
  ///   (a CA/cert/key file cannot be read; the message names it), kUnauthenticated (TLS
  ///   handshake or user/password rejected: fix flags, do not retry), kPermissionDenied,
  ///   kUnavailable (no endpoint answered; the message names each with its error; retryable).
  static StatusOr<std::unique_ptr<EtcdClient>> Connect(EtcdConnectOptions options,
                                                       Clock& clock = SystemClock::Instance());
  ~EtcdClient();
  EtcdClient(EtcdClient const&) = delete;
  EtcdClient& operator=(EtcdClient const&) = delete;

  /// The endpoint in use, e.g. "https://127.0.0.1:2379".
  std::string const& endpoint() const;

  /// Maintenance.Status of the member, with `revision` from CurrentRevision().
  /// Errors: as Connect's gRPC errors (kUnavailable, kDeadlineExceeded: retryable).
  StatusOr<MemberStatus> Status();

  /// The member's current KV revision: header.revision of a serializable count-only Range of
  /// one key (Status' header revision is not reliable: etcd-api.md §1.2).
  StatusOr<std::int64_t> CurrentRevision();

  /// Streams Maintenance.Snapshot into `sink`: every blob, the 32-byte sha256 trailer
  /// included, so the sink receives `db || sha256(db)`, the layout `etcdutl snapshot restore`
  /// accepts without flags (etcd-api.md §2.2). The trailer is checked (§2.1) and only then is
  /// sink.Finish() called. No overall deadline; a stall (no message for
  /// snapshot_stall_timeout) cancels the stream.
  /// Errors: kDataLoss (hash mismatch, truncated stream, bad trailer; sink NOT finished: it
  ///   abandons), kDeadlineExceeded (stalled), kUnavailable (connection lost; retryable),
  ///   kPermissionDenied (auth on: Snapshot needs the root role), the sink's own errors.
  StatusOr<SnapshotInfo> Snapshot(ChunkSink& sink, SnapshotProgressFn progress = {});

  /// Puts `key` = `value` (KV.Put). Not idempotent in revisions (each call makes one).
  ::kb::Status Put(std::string const& key, std::string const& value);

  /// Reads keys in [key, range_end) (range_end empty: just `key`; "\0": every key >= key), at
  /// most `limit` of them (0 = no limit), linearizable.
  StatusOr<RangeResult> Range(std::string const& key, std::string const& range_end = "",
                              std::int64_t limit = 0);

  /// Deletes keys in [key, range_end) (same range rules as Range). Returns how many.
  StatusOr<std::int64_t> Delete(std::string const& key, std::string const& range_end = "");

  /// Runs `txn` (KV.Txn): its compares, then its success or failure ops, atomically.
  /// Not idempotent when a branch writes: after an error (kUnavailable, kDeadlineExceeded) the
  /// txn may or may not have been applied; read the keys back before trying again.
  /// Errors: kInvalidArgument (etcd refused the txn: too many ops, one key written twice),
  ///   kNotFound (a Put names a lease that expired or was revoked), kUnavailable (member
  ///   unreachable, or the cluster has no raft leader; retryable), kDeadlineExceeded.
  StatusOr<TxnResult> Txn(TxnRequest const& txn);

  /// Grants a lease of `ttl` (Lease.LeaseGrant; etcd-api.md §1.6). Keys put with its id are
  /// deleted when it expires (not renewed for its TTL) or is revoked. Not idempotent: each call
  /// grants a new lease (an unused one expires after its TTL).
  /// Errors: kInvalidArgument (ttl <= 0, or above etcd's maximum of 9,000,000,000 s),
  ///   kUnavailable, kDeadlineExceeded (retryable; a lease may have been granted anyway).
  StatusOr<Lease> LeaseGrant(std::chrono::seconds ttl);

  /// Revokes lease `id` (Lease.LeaseRevoke): the keys attached to it are deleted at once, in
  /// one revision. Idempotent in effect (a second call gets kNotFound).
  /// Errors: kNotFound (no such lease: expired or already revoked), kUnavailable,
  ///   kDeadlineExceeded (retryable).
  ::kb::Status LeaseRevoke(std::int64_t id);

  /// Starts keeping `lease` alive on a Lease.LeaseKeepAlive stream of this client, from a
  /// thread of the returned object; see LeaseKeepAlive for the schedule, the local deadline and
  /// when the lease counts as lost. The object must not outlive this client.
  /// Errors: kInvalidArgument (lease id 0, ttl <= 0, or safety_margin not below 2/3 of ttl).
  StatusOr<std::unique_ptr<LeaseKeepAlive>> KeepAlive(Lease const& lease,
                                                      KeepAliveOptions options = {});

 private:
  struct Impl;
  explicit EtcdClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::etcd
