#pragma once
// EtcdClient's state: options, stubs, the auth token, and the unary-call wrapper shared by
// etcd_client.cc and etcd_client_lease.cc. Private to etcd/.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base/clock.h"
#include "agent/base/log.h"
#include "agent/base/status.h"
#include "etcd/etcd_client.h"
#include "etcd/internal/grpc_errors.h"
#include "etcd/proto/rpc.grpc.pb.h"

namespace kb::etcd {

using internal::CallContext;
using internal::FromGrpcStatus;

struct EtcdClient::Impl {
  Impl(EtcdConnectOptions const& o, Clock& c, std::string ep,
       std::shared_ptr<grpc::Channel> channel)
      : options(o),
        clock(c),
        endpoint(std::move(ep)),
        kv(etcdserverpb::KV::NewStub(channel)),
        maintenance(etcdserverpb::Maintenance::NewStub(channel)),
        auth(etcdserverpb::Auth::NewStub(channel)),
        lease(etcdserverpb::Lease::NewStub(channel)) {}

  /// A context with the auth token (when any) and, when given, a deadline `timeout` from now.
  std::unique_ptr<grpc::ClientContext> NewContext(std::optional<std::chrono::seconds> timeout) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (timeout) ctx->set_deadline(clock.Now() + *timeout);
    std::lock_guard<std::mutex> lock(mu);
    if (!token.empty()) ctx->AddMetadata("token", token);
    return ctx;
  }

  CallContext Names(std::string_view call) const { return {endpoint, call, options.user}; }

  /// Auth.Authenticate with user/password; stores the token sent on later calls.
  ::kb::Status Authenticate(std::chrono::seconds timeout) {
    etcdserverpb::AuthenticateRequest req;
    req.set_name(options.user);
    req.set_password(options.password.reveal());
    etcdserverpb::AuthenticateResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(clock.Now() + timeout);
    grpc::Status s = auth->Authenticate(&ctx, req, &resp);
    if (!s.ok()) return FromGrpcStatus(s, Names("Authenticate"));
    std::lock_guard<std::mutex> lock(mu);
    token = resp.token();
    return OkStatus();
  }

  /// Runs the unary call `fn(context)`. When etcd says the token is stale, authenticates again
  /// and runs it once more: a credential refresh, not a retry (RetryLoop owns those).
  template <typename Fn>
  ::kb::Status Call(std::string_view name, std::chrono::seconds timeout, Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
      auto ctx = NewContext(timeout);
      grpc::Status s = fn(*ctx);
      if (s.ok()) return OkStatus();
      if (attempt == 0 && !options.user.empty() && internal::IsStaleTokenError(s)) {
        KB_LOG(etcd, info, "etcd token refresh endpoint={} call={}", endpoint, name);
        KB_RETURN_IF_ERROR(Authenticate(timeout));
        continue;
      }
      return FromGrpcStatus(s, Names(name));
    }
  }

  StatusOr<etcdserverpb::StatusResponse> MaintenanceStatus(std::chrono::seconds timeout) {
    etcdserverpb::StatusResponse resp;
    KB_RETURN_IF_ERROR(Call("Status", timeout, [&](grpc::ClientContext& ctx) {
      return maintenance->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
    }));
    return resp;
  }

  /// Connect's check of this endpoint: Authenticate (when there is a user), then Status, each
  /// within dial_timeout.
  StatusOr<etcdserverpb::StatusResponse> Dial() {
    if (!options.user.empty()) KB_RETURN_IF_ERROR(Authenticate(options.dial_timeout));
    return MaintenanceStatus(options.dial_timeout);
  }

  EtcdConnectOptions options;
  Clock& clock;
  std::string endpoint;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::string etcd_version;  // from the Status at Connect
  std::mutex mu;
  std::string token;  // guarded by mu; empty without a user
};

}  // namespace kb::etcd
