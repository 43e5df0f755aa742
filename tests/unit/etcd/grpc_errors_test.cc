// Mapping of etcd's grpc::Status to kb::Status (same codes, messages that say what to do).

#include "etcd/internal/grpc_errors.h"

#include <gtest/gtest.h>

namespace kb::etcd::internal {
namespace {

CallContext const kCtx{"https://127.0.0.1:2379", "Status", "root"};

TEST(GrpcErrors, CodesMapOneToOne) {
  for (int c = 1; c <= 16; ++c) {
    if (c == 3 || c == 14) continue;  // may be rewritten by the rules below, tested there
    grpc::Status s(static_cast<grpc::StatusCode>(c), "x");
    EXPECT_EQ(static_cast<int>(FromGrpcStatus(s, kCtx).code()), c);
  }
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, kCtx).ok());
}

TEST(GrpcErrors, ConnectionRefusedIsUnavailableNamingTheEndpoint) {
  grpc::Status s(grpc::StatusCode::UNAVAILABLE,
                 "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:2379: "
                 "Failed to connect to remote host: Connection refused");
  Status st = FromGrpcStatus(s, kCtx);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("https://127.0.0.1:2379"), std::string::npos);
  EXPECT_NE(st.message().find("--etcd-endpoints"), std::string::npos);
  EXPECT_TRUE(IsTransportFailure(st));
}

TEST(GrpcErrors, TlsHandshakeFailureIsUnauthenticatedWithFlagAdvice) {
  grpc::Status s(grpc::StatusCode::UNAVAILABLE,
                 "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:2379: "
                 "Ssl handshake failed: SSL_ERROR_SSL: error:1000007d:SSL "
                 "routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED");
  Status st = FromGrpcStatus(s, kCtx);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message().rfind("TLS to https://127.0.0.1:2379 failed: check "
                               "--etcd-cacert/--etcd-cert/--etcd-key",
                               0),
            0u)
      << st.message();
  EXPECT_TRUE(IsTransportFailure(st));
}

TEST(GrpcErrors, WrongPasswordIsUnauthenticatedWithUserAdvice) {
  grpc::Status s(grpc::StatusCode::INVALID_ARGUMENT,
                 "etcdserver: authentication failed, invalid user ID or password");
  Status st = FromGrpcStatus(s, kCtx);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("check --etcd-user and KBACKUP_ETCD_PASSWORD"), std::string::npos);
  EXPECT_NE(st.message().find("\"root\""), std::string::npos);
  EXPECT_FALSE(IsTransportFailure(st));
}

TEST(GrpcErrors, MissingUserIsUnauthenticated) {
  grpc::Status s(grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: user name is empty");
  Status st = FromGrpcStatus(s, {"http://e:2379", "Range", ""});
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("--etcd-user"), std::string::npos);
}

TEST(GrpcErrors, PermissionDeniedNamesTheRootRole) {
  grpc::Status s(grpc::StatusCode::PERMISSION_DENIED, "etcdserver: permission denied");
  Status st = FromGrpcStatus(s, {"http://e:2379", "Snapshot", "alice"});
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("root role"), std::string::npos);
  EXPECT_NE(st.message().find("Snapshot"), std::string::npos);
}

TEST(GrpcErrors, StaleTokenIsDetected) {
  EXPECT_TRUE(IsStaleTokenError(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "etcdserver: invalid auth token")));
  EXPECT_TRUE(IsStaleTokenError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             "etcdserver: revision of auth store is old")));
  EXPECT_FALSE(IsStaleTokenError(grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      "etcdserver: authentication failed, invalid user ID or password")));
}

TEST(GrpcErrors, AllEndpointsFailedNamesEach) {
  Status st = AllEndpointsFailed({UnavailableError("etcd at http://a:1 is unavailable"),
                                  DeadlineExceededError("etcd at http://b:2 did not answer")});
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("http://a:1"), std::string::npos);
  EXPECT_NE(st.message().find("http://b:2"), std::string::npos);
  Status one = AllEndpointsFailed({UnauthenticatedError("TLS to https://a:1 failed")});
  EXPECT_EQ(one.code(), StatusCode::kUnauthenticated);
}

TEST(GrpcErrors, LeaseNotFoundStaysNotFoundAndSaysTheLeaseIsGone) {
  grpc::Status s(grpc::StatusCode::NOT_FOUND, "etcdserver: requested lease not found");
  Status st = FromGrpcStatus(s, CallContext{"http://127.0.0.1:2379", "Txn", ""});
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("expired or was revoked"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Txn"), std::string::npos);
}

TEST(GrpcErrors, NoRaftLeaderStaysUnavailableAndSaysSo) {
  for (char const* text : {"etcdserver: no leader", "etcdserver: leader changed"}) {
    Status st = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, text), kCtx);
    EXPECT_EQ(st.code(), StatusCode::kUnavailable);
    EXPECT_NE(st.message().find("no raft leader"), std::string::npos) << st.message();
    EXPECT_TRUE(IsTransportFailure(st));
  }
}

}  // namespace
}  // namespace kb::etcd::internal
