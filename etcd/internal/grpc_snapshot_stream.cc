#include "etcd/internal/grpc_snapshot_stream.h"

#include <fmt/format.h>

namespace kb::etcd::internal {
namespace {

void* const kStartTag = reinterpret_cast<void*>(1);
void* const kReadTag = reinterpret_cast<void*>(2);
void* const kFinishTag = reinterpret_cast<void*>(3);

}  // namespace

GrpcSnapshotStream::GrpcSnapshotStream(etcdserverpb::Maintenance::Stub& stub,
                                       std::unique_ptr<grpc::ClientContext> context,
                                       Clock& clock, std::chrono::seconds stall_timeout,
                                       std::string endpoint, std::string user)
    : context_(std::move(context)),
      clock_(clock),
      stall_timeout_(stall_timeout),
      endpoint_(std::move(endpoint)),
      user_(std::move(user)) {
  reader_ = stub.PrepareAsyncSnapshot(context_.get(), etcdserverpb::SnapshotRequest(), &cq_);
  reader_->StartCall(kStartTag);
}

GrpcSnapshotStream::~GrpcSnapshotStream() {
  if (!finished_) {
    context_->TryCancel();
    FinishCall();
  }
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

GrpcSnapshotStream::WaitResult GrpcSnapshotStream::Wait(void* tag, bool with_deadline) {
  void* got = nullptr;
  bool ok = false;
  while (true) {
    if (!with_deadline) {
      if (!cq_.Next(&got, &ok)) return WaitResult::kFailed;
    } else {
      auto r = cq_.AsyncNext(&got, &ok, clock_.Now() + stall_timeout_);
      if (r == grpc::CompletionQueue::TIMEOUT) return WaitResult::kStalled;
      if (r == grpc::CompletionQueue::SHUTDOWN) return WaitResult::kFailed;
    }
    if (got == tag) return ok ? WaitResult::kOk : WaitResult::kFailed;
    // A tag of an earlier operation (start, after a stall) completing late: keep waiting.
  }
}

void GrpcSnapshotStream::FinishCall() {
  if (finished_) return;
  if (!start_done_) {
    // StartCall's tag must come back before Finish is issued.
    (void)Wait(kStartTag, /*with_deadline=*/false);
    start_done_ = true;
  }
  reader_->Finish(&grpc_status_, kFinishTag);
  (void)Wait(kFinishTag, /*with_deadline=*/false);
  finished_ = true;
}

StatusOr<bool> GrpcSnapshotStream::Next(etcdserverpb::SnapshotResponse& msg) {
  CallContext const names{endpoint_, "Snapshot", user_};
  if (finished_) {
    if (!grpc_status_.ok()) return FromGrpcStatus(grpc_status_, names);
    return false;
  }
  auto stalled = [&] {
    context_->TryCancel();
    FinishCall();
    return DeadlineExceededError(fmt::format(
        "snapshot from {} stalled: no data for {}s after {} messages; check the member's load "
        "and disk, then retry",
        endpoint_, stall_timeout_.count(), messages_));
  };
  if (!start_done_) {
    WaitResult r = Wait(kStartTag, /*with_deadline=*/true);
    if (r == WaitResult::kStalled) return stalled();
    start_done_ = true;
    if (r == WaitResult::kFailed) {
      // The call could not start: Finish tells why.
      FinishCall();
      if (!grpc_status_.ok()) return FromGrpcStatus(grpc_status_, names);
      return false;
    }
  }
  reader_->Read(&msg, kReadTag);
  WaitResult r = Wait(kReadTag, /*with_deadline=*/true);
  if (r == WaitResult::kStalled) {
    // The Read is still pending; cancelling completes it, then Finish.
    context_->TryCancel();
    (void)Wait(kReadTag, /*with_deadline=*/false);
    return stalled();
  }
  if (r == WaitResult::kOk) {
    ++messages_;
    return true;
  }
  FinishCall();
  if (!grpc_status_.ok()) return FromGrpcStatus(grpc_status_, names);
  return false;
}

}  // namespace kb::etcd::internal
