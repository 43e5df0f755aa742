#include "etcd/etcd_client.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <limits>
#include <mutex>
#include <optional>

#include "agent/base/log.h"
#include "etcd/internal/channel.h"
#include "etcd/internal/client_impl.h"
#include "etcd/internal/grpc_errors.h"
#include "etcd/internal/grpc_snapshot_stream.h"
#include "etcd/internal/prefetch_stream.h"
#include "etcd/internal/snapshot_stream.h"
#include "etcd/internal/tls_probe.h"
#include "etcd/internal/txn_proto.h"
#include "etcd/proto/rpc.grpc.pb.h"

namespace kb::etcd {

/// Snapshot bytes received ahead of the consumer (hashing, compression, upload) at most.
constexpr std::size_t kSnapshotPrefetchBytes = 8 << 20;

EtcdClient::EtcdClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdClient::~EtcdClient() = default;

std::string const& EtcdClient::endpoint() const { return impl_->endpoint; }

StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(EtcdConnectOptions options,
                                                          Clock& clock) {
  KB_ASSIGN_OR_RETURN(std::vector<internal::Endpoint> endpoints,
                      internal::ParseEndpoints(options.endpoints));
  KB_ASSIGN_OR_RETURN(internal::TlsFiles tls, internal::LoadTlsFiles(options, endpoints));
  std::vector<::kb::Status> failures;
  for (auto const& ep : endpoints) {
    auto impl = std::make_unique<Impl>(options, clock, ep.url, internal::MakeChannel(ep, tls));
    StatusOr<etcdserverpb::StatusResponse> status = impl->Dial();
    if (status.ok()) {
      impl->etcd_version = status->version();
      KB_LOG(etcd, info, "etcd connected endpoint={} version={} member_id={:x}", ep.url,
             status->version(), status->header().member_id());
      return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(impl)));
    }
    ::kb::Status st = std::move(status).status();
    if (ep.tls && st.code() == StatusCode::kUnavailable) {
      // gRPC hides a TLS 1.3 client-cert rejection behind "Endpoint read failed": ask TLS.
      ::kb::Status probe = internal::ProbeTls(ep, tls, options.dial_timeout);
      if (!probe.ok()) st = probe;
    }
    KB_LOG(etcd, warn, "etcd endpoint failed endpoint={} error=\"{}\"", ep.url, st.message());
    if (!internal::IsTransportFailure(st)) return st;  // the member answered: final
    failures.push_back(std::move(st));
  }
  return internal::AllEndpointsFailed(failures);
}

StatusOr<std::int64_t> EtcdClient::CurrentRevision() {
  etcdserverpb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_count_only(true);
  req.set_serializable(true);  // this member's own revision: what its snapshot will hold
  etcdserverpb::RangeResponse resp;
  KB_RETURN_IF_ERROR(impl_->Call("Range", impl_->options.call_timeout,
                                 [&](grpc::ClientContext& ctx) {
                                   return impl_->kv->Range(&ctx, req, &resp);
                                 }));
  return resp.header().revision();
}

StatusOr<MemberStatus> EtcdClient::Status() {
  KB_ASSIGN_OR_RETURN(etcdserverpb::StatusResponse resp,
                      impl_->MaintenanceStatus(impl_->options.call_timeout));
  MemberStatus m;
  m.endpoint = impl_->endpoint;
  m.version = resp.version();
  m.db_size = resp.dbsize();
  m.db_size_in_use = resp.dbsizeinuse();
  m.leader = resp.leader();
  m.member_id = resp.header().member_id();
  m.cluster_id = resp.header().cluster_id();
  m.raft_index = resp.raftindex();
  m.raft_term = resp.raftterm();
  m.is_learner = resp.islearner();
  KB_ASSIGN_OR_RETURN(m.revision, CurrentRevision());
  return m;
}

StatusOr<SnapshotInfo> EtcdClient::Snapshot(ChunkSink& sink, SnapshotProgressFn progress) {
  auto const started = impl_->clock.Monotonic();
  SnapshotInfo info;
  info.endpoint = impl_->endpoint;
  info.etcd_version = impl_->etcd_version;
  KB_ASSIGN_OR_RETURN(info.revision_at_start, CurrentRevision());
  for (int attempt = 0;; ++attempt) {
    internal::GrpcSnapshotStream stream(*impl_->maintenance, impl_->NewContext(std::nullopt),
                                        impl_->clock, impl_->options.snapshot_stall_timeout,
                                        impl_->endpoint, impl_->options.user);
    StatusOr<internal::SnapshotStreamResult> result = [&] {
      internal::PrefetchSnapshotStream prefetch(stream, kSnapshotPrefetchBytes);
      return internal::ReadSnapshotStream(prefetch, sink, impl_->endpoint, progress);
    }();  // the prefetcher is joined here, before `stream` is looked at
    if (!result.ok() && attempt == 0 && stream.messages() == 0 && !impl_->options.user.empty() &&
        internal::IsStaleTokenError(stream.grpc_status())) {
      // Nothing reached the sink yet: refresh the token and open the stream once more.
      KB_RETURN_IF_ERROR(impl_->Authenticate(impl_->options.call_timeout));
      continue;
    }
    if (!result.ok()) {
      KB_LOG(etcd, warn, "snapshot failed endpoint={} messages={} error=\"{}\"",
             impl_->endpoint, stream.messages(), result.status().message());
      return std::move(result).status();
    }
    info.db_bytes = result->db_bytes;
    info.db_sha256_hex = result->db_sha256_hex;
    info.storage_version = result->storage_version;
    break;
  }
  double seconds = std::chrono::duration<double>(impl_->clock.Monotonic() - started).count();
  KB_LOG(etcd, info, "snapshot done endpoint={} db_bytes={} revision_at_start={} seconds={:.1f}",
         info.endpoint, info.db_bytes, info.revision_at_start, seconds);
  return info;
}

::kb::Status EtcdClient::Put(std::string const& key, std::string const& value) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  etcdserverpb::PutResponse resp;
  return impl_->Call("Put", impl_->options.call_timeout, [&](grpc::ClientContext& ctx) {
    return impl_->kv->Put(&ctx, req, &resp);
  });
}

StatusOr<RangeResult> EtcdClient::Range(std::string const& key, std::string const& range_end,
                                        std::int64_t limit) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  req.set_range_end(range_end);
  req.set_limit(limit);
  etcdserverpb::RangeResponse resp;
  KB_RETURN_IF_ERROR(impl_->Call("Range", impl_->options.call_timeout,
                                 [&](grpc::ClientContext& ctx) {
                                   return impl_->kv->Range(&ctx, req, &resp);
                                 }));
  return internal::FromProto(resp);
}

StatusOr<std::int64_t> EtcdClient::Delete(std::string const& key, std::string const& range_end) {
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(key);
  req.set_range_end(range_end);
  etcdserverpb::DeleteRangeResponse resp;
  KB_RETURN_IF_ERROR(impl_->Call("DeleteRange", impl_->options.call_timeout,
                                 [&](grpc::ClientContext& ctx) {
                                   return impl_->kv->DeleteRange(&ctx, req, &resp);
                                 }));
  return resp.deleted();
}

}  // namespace kb::etcd
