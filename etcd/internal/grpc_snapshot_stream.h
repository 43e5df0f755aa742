#pragma once
// Maintenance.Snapshot over gRPC's async API, so that a stalled stream can be detected without
// a watchdog thread: each Read waits at most `stall_timeout`, then the call is cancelled.
// Private to etcd/.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/base/clock.h"
#include "etcd/internal/grpc_errors.h"
#include "etcd/internal/snapshot_stream.h"
#include "etcd/proto/rpc.grpc.pb.h"

namespace kb::etcd::internal {

/// One Maintenance.Snapshot call. Not thread-safe. Destruction cancels an unfinished call.
class GrpcSnapshotStream final : public SnapshotStream {
 public:
  /// Starts the call on `stub` with `context` (metadata already set, no deadline).
  /// `endpoint` and `user` name the call in errors; `clock` times the stall deadline.
  GrpcSnapshotStream(etcdserverpb::Maintenance::Stub& stub,
                     std::unique_ptr<grpc::ClientContext> context, Clock& clock,
                     std::chrono::seconds stall_timeout, std::string endpoint, std::string user);
  ~GrpcSnapshotStream() override;
  GrpcSnapshotStream(GrpcSnapshotStream const&) = delete;
  GrpcSnapshotStream& operator=(GrpcSnapshotStream const&) = delete;

  /// See SnapshotStream::Next. Errors: the call's status mapped by FromGrpcStatus;
  /// kDeadlineExceeded when no message arrived for `stall_timeout` (the call is cancelled).
  StatusOr<bool> Next(etcdserverpb::SnapshotResponse& msg) override;
  /// Cancels the call (grpc::ClientContext::TryCancel); thread-safe.
  void Cancel() override { context_->TryCancel(); }

  /// Messages received so far.
  std::uint64_t messages() const { return messages_; }
  /// The gRPC status the call ended with (OK while running).
  grpc::Status const& grpc_status() const { return grpc_status_; }

 private:
  enum class WaitResult { kOk, kFailed, kStalled };
  WaitResult Wait(void* tag, bool with_deadline);
  void FinishCall();

  std::unique_ptr<grpc::ClientContext> context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReader<etcdserverpb::SnapshotResponse>> reader_;
  Clock& clock_;
  std::chrono::seconds stall_timeout_;
  std::string endpoint_;
  std::string user_;
  bool start_done_ = false;  // StartCall's tag came back
  bool finished_ = false;    // Finish completed
  std::uint64_t messages_ = 0;
  grpc::Status grpc_status_;
};

}  // namespace kb::etcd::internal
