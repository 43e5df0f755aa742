// EtcdClient's Txn and lease calls (etcd-api.md §1.4, §1.6), beside etcd_client.cc.

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "etcd/etcd_client.h"
#include "etcd/internal/client_impl.h"
#include "etcd/internal/grpc_keepalive_stream.h"
#include "etcd/internal/txn_proto.h"

namespace kb::etcd {

StatusOr<TxnResult> EtcdClient::Txn(TxnRequest const& txn) {
  etcdserverpb::TxnRequest req = internal::ToProto(txn);
  etcdserverpb::TxnResponse resp;
  KB_RETURN_IF_ERROR(impl_->Call("Txn", impl_->options.call_timeout,
                                 [&](grpc::ClientContext& ctx) {
                                   return impl_->kv->Txn(&ctx, req, &resp);
                                 }));
  return internal::FromProto(resp);
}

StatusOr<Lease> EtcdClient::LeaseGrant(std::chrono::seconds ttl) {
  if (ttl <= std::chrono::seconds::zero()) {
    return InvalidArgumentError(
        fmt::format("etcd lease TTL must be at least 1 s, not {} s", ttl.count()));
  }
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(ttl.count());
  etcdserverpb::LeaseGrantResponse resp;
  auto const sent = impl_->clock.Monotonic();
  KB_RETURN_IF_ERROR(impl_->Call("LeaseGrant", impl_->options.call_timeout,
                                 [&](grpc::ClientContext& ctx) {
                                   return impl_->lease->LeaseGrant(&ctx, req, &resp);
                                 }));
  if (!resp.error().empty() || resp.id() == 0 || resp.ttl() <= 0) {
    return UnknownError(fmt::format("etcd LeaseGrant at {} granted no lease (ID {}, TTL {}): {}",
                                    impl_->endpoint, resp.id(), resp.ttl(), resp.error()));
  }
  KB_LOG(etcd, debug, "lease granted endpoint={} lease={:x} ttl={}", impl_->endpoint, resp.id(),
         resp.ttl());
  return Lease{resp.id(), std::chrono::seconds(resp.ttl()), sent};
}

::kb::Status EtcdClient::LeaseRevoke(std::int64_t id) {
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(id);
  etcdserverpb::LeaseRevokeResponse resp;
  return impl_->Call("LeaseRevoke", impl_->options.call_timeout, [&](grpc::ClientContext& ctx) {
    return impl_->lease->LeaseRevoke(&ctx, req, &resp);
  });
}

StatusOr<std::unique_ptr<LeaseKeepAlive>> EtcdClient::KeepAlive(Lease const& lease,
                                                                KeepAliveOptions options) {
  if (lease.id == 0 || lease.ttl <= std::chrono::seconds::zero()) {
    return InvalidArgumentError(fmt::format(
        "cannot keep etcd lease {:x} (TTL {} s) alive: not a granted lease", lease.id,
        lease.ttl.count()));
  }
  if (options.safety_margin < std::chrono::milliseconds::zero() ||
      options.safety_margin * 3 >= lease.ttl * 2) {
    return InvalidArgumentError(fmt::format(
        "lease keepalive safety margin {} ms must be at least 0 and below 2/3 of the lease TTL "
        "({} s)",
        options.safety_margin.count(), lease.ttl.count()));
  }
  Impl* impl = impl_.get();
  auto stream = std::make_unique<internal::GrpcKeepAliveStream>(
      *impl->lease, [impl] { return impl->NewContext(std::nullopt); },
      [impl]() -> ::kb::Status {
        if (impl->options.user.empty()) return OkStatus();
        return impl->Authenticate(impl->options.call_timeout);
      },
      impl->clock, impl->endpoint, impl->options.user);
  return std::unique_ptr<LeaseKeepAlive>(
      new LeaseKeepAlive(std::move(stream), impl->clock, lease, std::move(options)));
}

}  // namespace kb::etcd
