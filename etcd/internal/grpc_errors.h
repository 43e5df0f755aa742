#pragma once
// Maps etcd's grpc::Status to kb::Status 1:1 (same codes), with a message that names the
// endpoint and says what to do (STYLE.md §3). Private to etcd/.

#include <grpcpp/support/status.h>

#include <string_view>
#include <vector>

#include "agent/base/status.h"

namespace kb::etcd::internal {

/// What a failed call was doing, for the message.
struct CallContext {
  std::string_view endpoint;  ///< e.g. "https://127.0.0.1:2379"
  std::string_view call;      ///< e.g. "Status", "Snapshot"
  std::string_view user;      ///< etcd user, or empty (never a password)
};

/// Maps `s` (not OK) to a kb::Status with the same code, except:
/// - a TLS handshake failure (gRPC reports kUnavailable) → kUnauthenticated
///   "TLS to ENDPOINT failed: …; check --etcd-cacert/--etcd-cert/--etcd-key";
/// - etcd's "authentication failed" (kInvalidArgument) and "user name is empty" →
///   kUnauthenticated "… check --etcd-user and KBACKUP_ETCD_PASSWORD";
/// - "requested lease not found" stays kNotFound and says the lease expired or was revoked;
/// - "no leader" / "leader changed" stay kUnavailable and say the cluster has no raft leader.
/// The server's text is kept after the advice. OK maps to OK.
Status FromGrpcStatus(grpc::Status const& s, CallContext const& ctx);

/// True when etcd rejected the auth token as invalid or expired ("invalid auth token",
/// kUnauthenticated) or as older than the auth store ("revision of auth store is old"): a new
/// Authenticate fixes it.
bool IsStaleTokenError(grpc::Status const& s);

/// True for a TLS handshake failure reported by gRPC (certificate not trusted, rejected client
/// cert, protocol alert).
bool LooksLikeTlsFailure(grpc::Status const& s);

/// True when a Status made by FromGrpcStatus means the member was not reached (kUnavailable,
/// kDeadlineExceeded, TLS failure), so another endpoint may do better; false when the member
/// answered (wrong password, permission denied, ...), which another endpoint would repeat.
bool IsTransportFailure(Status const& s);

/// The error of Connect when every endpoint failed with a transport failure: the one status
/// when there was one endpoint, else a status naming every endpoint with its error; its code
/// is the endpoints' common code, or kUnavailable when they differ.
Status AllEndpointsFailed(std::vector<Status> const& failures);

}  // namespace kb::etcd::internal
