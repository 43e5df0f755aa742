#pragma once
// Lease.LeaseKeepAlive over gRPC's async API, so that every wait has a deadline and can be
// cancelled from another thread without a watchdog (as grpc_snapshot_stream.h). Private to
// etcd/.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "agent/base/clock.h"
#include "etcd/internal/keepalive_stream.h"
#include "etcd/proto/rpc.grpc.pb.h"

namespace kb::etcd::internal {

/// One LeaseKeepAlive call at a time on `stub`, reopened after it breaks. Renew() is for one
/// thread; Cancel() may come from any. Destruction cancels an open call.
class GrpcKeepAliveStream final : public KeepAliveStream {
 public:
  /// `new_context` makes the context of each new call (auth token set, no deadline);
  /// `reauthenticate` gets a new token after etcd called ours stale (the next call uses it).
  /// `endpoint` and `user` name the call in errors; `clock` converts deadlines.
  /// `stub` and the functions must outlive this object.
  GrpcKeepAliveStream(etcdserverpb::Lease::Stub& stub,
                      std::function<std::unique_ptr<grpc::ClientContext>()> new_context,
                      std::function<Status()> reauthenticate, Clock& clock,
                      std::string endpoint, std::string user);
  ~GrpcKeepAliveStream() override;
  GrpcKeepAliveStream(GrpcKeepAliveStream const&) = delete;
  GrpcKeepAliveStream& operator=(GrpcKeepAliveStream const&) = delete;

  /// See KeepAliveStream::Renew. Errors are mapped by FromGrpcStatus and name the endpoint.
  StatusOr<std::int64_t> Renew(std::int64_t id,
                               std::chrono::steady_clock::time_point deadline) override;
  /// See KeepAliveStream::Cancel.
  void Cancel() override;

 private:
  enum class WaitResult { kOk, kFailed, kTimedOut };
  WaitResult Wait(int tag, std::chrono::steady_clock::time_point const* deadline);
  Status Open(std::chrono::steady_clock::time_point deadline);
  /// Ends the call: cancels it when `cancel` (else it already failed), waits for every pending
  /// operation, then Finish. Returns the call's status.
  grpc::Status Close(bool cancel);
  /// Closes the call after an operation failed or timed out; the error Renew returns.
  Status Failed(bool timed_out);

  etcdserverpb::Lease::Stub& stub_;
  std::function<std::unique_ptr<grpc::ClientContext>()> new_context_;
  std::function<Status()> reauthenticate_;
  Clock& clock_;
  std::string endpoint_;
  std::string user_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientContext> context_;  // of the open call, else null
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                    etcdserverpb::LeaseKeepAliveResponse>>
      call_;
  bool pending_[4] = {};  // operations started and not yet returned by the queue, by tag
  etcdserverpb::LeaseKeepAliveResponse response_;
  std::mutex mu_;               // guards context_ against Cancel() from another thread
  std::atomic<bool> cancelled_{false};
};

}  // namespace kb::etcd::internal
