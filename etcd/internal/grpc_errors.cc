#include "etcd/internal/grpc_errors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace kb::etcd::internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool Contains(std::string const& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr char kAuthAdvice[] = "check --etcd-user and KBACKUP_ETCD_PASSWORD";
constexpr char kTlsAdvice[] = "check --etcd-cacert/--etcd-cert/--etcd-key";

}  // namespace

bool LooksLikeTlsFailure(grpc::Status const& s) {
  if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  std::string m = Lower(s.error_message());
  return Contains(m, "ssl") || Contains(m, "tls") || Contains(m, "handshake") ||
         Contains(m, "certificate") || Contains(m, "alert");
}

bool IsStaleTokenError(grpc::Status const& s) {
  std::string m = Lower(s.error_message());
  return (s.error_code() == grpc::StatusCode::UNAUTHENTICATED && Contains(m, "token")) ||
         Contains(m, "revision of auth store is old");
}

Status FromGrpcStatus(grpc::Status const& s, CallContext const& ctx) {
  if (s.ok()) return OkStatus();
  auto const code = static_cast<StatusCode>(s.error_code());
  std::string const& detail = s.error_message();
  std::string m = Lower(detail);
  std::string who = ctx.user.empty() ? std::string("no user")
                                     : fmt::format("user \"{}\"", ctx.user);

  if (LooksLikeTlsFailure(s)) {
    return UnauthenticatedError(fmt::format("TLS to {} failed: {} ({})", ctx.endpoint,
                                            kTlsAdvice, detail));
  }
  if (Contains(m, "authentication failed") || Contains(m, "invalid user id or password")) {
    return UnauthenticatedError(fmt::format("etcd at {} rejected the password of {}: {} ({})",
                                            ctx.endpoint, who, kAuthAdvice, detail));
  }
  if (Contains(m, "user name is empty") || Contains(m, "user name not found")) {
    return UnauthenticatedError(fmt::format(
        "etcd at {} requires authentication for {} ({}): {}, or use a client cert whose CN is "
        "an etcd user ({})",
        ctx.endpoint, ctx.call, who, kAuthAdvice, detail));
  }
  if (Contains(m, "requested lease not found")) {
    return NotFoundError(fmt::format(
        "etcd at {} does not know the lease of {}: it expired or was revoked ({})", ctx.endpoint,
        ctx.call, detail));
  }
  if (code == StatusCode::kUnavailable &&
      (Contains(m, "no leader") || Contains(m, "leader changed"))) {
    return UnavailableError(fmt::format(
        "etcd at {} has no raft leader for {} right now (an election is running, or the "
        "cluster lost quorum); retry ({})",
        ctx.endpoint, ctx.call, detail));
  }
  switch (code) {
    case StatusCode::kUnauthenticated:
      return UnauthenticatedError(fmt::format("etcd at {} did not authenticate {} for {}: {} ({})",
                                              ctx.endpoint, who, ctx.call, kAuthAdvice, detail));
    case StatusCode::kPermissionDenied:
      return PermissionDeniedError(fmt::format(
          "etcd at {} denied {} to {}: {}; Snapshot needs the root role ({})", ctx.endpoint,
          ctx.call, who, kAuthAdvice, detail));
    case StatusCode::kUnavailable:
      return UnavailableError(fmt::format(
          "etcd at {} is unavailable for {}: check --etcd-endpoints and that etcd runs there "
          "({})",
          ctx.endpoint, ctx.call, detail));
    case StatusCode::kDeadlineExceeded:
      return DeadlineExceededError(fmt::format(
          "etcd at {} did not answer {} in time: check that the member is healthy, or raise "
          "--etcd-dial-timeout ({})",
          ctx.endpoint, ctx.call, detail));
    default:
      return Status(code, fmt::format("etcd {} at {} failed: {}", ctx.call, ctx.endpoint, detail));
  }
}

bool IsTransportFailure(Status const& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         (s.code() == StatusCode::kUnauthenticated && s.message().starts_with("TLS to "));
}

Status AllEndpointsFailed(std::vector<Status> const& failures) {
  if (failures.empty()) return InvalidArgumentError("no etcd endpoint given: set --etcd-endpoints");
  if (failures.size() == 1) return failures.front();
  StatusCode code = failures.front().code();
  std::string message = fmt::format("no etcd endpoint answered ({} tried)", failures.size());
  for (auto const& f : failures) {
    if (f.code() != code) code = StatusCode::kUnavailable;
    message += "; " + f.message();
  }
  return Status(code, std::move(message));
}

}  // namespace kb::etcd::internal
