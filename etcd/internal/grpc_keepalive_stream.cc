#include "etcd/internal/grpc_keepalive_stream.h"

#include <fmt/format.h>

#include <cstdint>

#include "etcd/internal/grpc_errors.h"

namespace kb::etcd::internal {
namespace {

constexpr int kStart = 0;
constexpr int kWrite = 1;
constexpr int kRead = 2;
constexpr int kFinish = 3;

void* Tag(int tag) { return reinterpret_cast<void*>(static_cast<std::intptr_t>(tag + 1)); }
int TagOf(void* tag) { return static_cast<int>(reinterpret_cast<std::intptr_t>(tag)) - 1; }

}  // namespace

GrpcKeepAliveStream::GrpcKeepAliveStream(
    etcdserverpb::Lease::Stub& stub,
    std::function<std::unique_ptr<grpc::ClientContext>()> new_context,
    std::function<Status()> reauthenticate, Clock& clock, std::string endpoint,
    std::string user)
    : stub_(stub),
      new_context_(std::move(new_context)),
      reauthenticate_(std::move(reauthenticate)),
      clock_(clock),
      endpoint_(std::move(endpoint)),
      user_(std::move(user)) {}

GrpcKeepAliveStream::~GrpcKeepAliveStream() {
  (void)Close(/*cancel=*/true);
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

void GrpcKeepAliveStream::Cancel() {
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (context_) context_->TryCancel();
}

GrpcKeepAliveStream::WaitResult GrpcKeepAliveStream::Wait(
    int tag, std::chrono::steady_clock::time_point const* deadline) {
  while (pending_[tag]) {
    void* got = nullptr;
    bool ok = false;
    if (deadline == nullptr) {
      if (!cq_.Next(&got, &ok)) return WaitResult::kFailed;
    } else {
      auto left = *deadline - clock_.Monotonic();
      auto wall = clock_.Now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     left);
      auto r = cq_.AsyncNext(&got, &ok, wall);
      if (r == grpc::CompletionQueue::TIMEOUT) return WaitResult::kTimedOut;
      if (r == grpc::CompletionQueue::SHUTDOWN) return WaitResult::kFailed;
    }
    int const done = TagOf(got);
    if (done < kStart || done > kFinish) continue;
    pending_[done] = false;
    if (done == tag) return ok ? WaitResult::kOk : WaitResult::kFailed;
  }
  return WaitResult::kFailed;
}

Status GrpcKeepAliveStream::Open(std::chrono::steady_clock::time_point deadline) {
  auto context = new_context_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return CancelledError("lease keepalive cancelled");
    context_ = std::move(context);
  }
  call_ = stub_.PrepareAsyncLeaseKeepAlive(context_.get(), &cq_);
  pending_[kStart] = true;
  call_->StartCall(Tag(kStart));
  WaitResult r = Wait(kStart, &deadline);
  if (r == WaitResult::kOk) return OkStatus();
  return Failed(r == WaitResult::kTimedOut);
}

grpc::Status GrpcKeepAliveStream::Close(bool cancel) {
  if (!call_) return grpc::Status::OK;
  if (cancel) {
    std::lock_guard<std::mutex> lock(mu_);
    context_->TryCancel();
  }
  for (int tag : {kStart, kWrite, kRead}) (void)Wait(tag, nullptr);
  grpc::Status status;
  pending_[kFinish] = true;
  call_->Finish(&status, Tag(kFinish));
  (void)Wait(kFinish, nullptr);
  call_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  context_.reset();
  return status;
}

Status GrpcKeepAliveStream::Failed(bool timed_out) {
  grpc::Status s = Close(/*cancel=*/timed_out || cancelled_);
  if (cancelled_) return CancelledError("lease keepalive cancelled");
  if (timed_out) {
    return DeadlineExceededError(fmt::format(
        "etcd at {} did not answer a lease keepalive in time; the stream was closed (the next "
        "renewal opens a new one)",
        endpoint_));
  }
  if (s.ok()) {
    s = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server ended the keepalive stream");
  }
  if (reauthenticate_ && IsStaleTokenError(s)) {
    Status refreshed = reauthenticate_();
    if (!refreshed.ok()) return refreshed;
  }
  return FromGrpcStatus(s, CallContext{endpoint_, "LeaseKeepAlive", user_});
}

StatusOr<std::int64_t> GrpcKeepAliveStream::Renew(
    std::int64_t id, std::chrono::steady_clock::time_point deadline) {
  if (cancelled_) return CancelledError("lease keepalive cancelled");
  if (!call_) KB_RETURN_IF_ERROR(Open(deadline));
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  pending_[kWrite] = true;
  call_->Write(request, Tag(kWrite));
  WaitResult r = Wait(kWrite, &deadline);
  if (r != WaitResult::kOk) return Failed(r == WaitResult::kTimedOut);
  pending_[kRead] = true;
  call_->Read(&response_, Tag(kRead));
  r = Wait(kRead, &deadline);
  if (r != WaitResult::kOk) return Failed(r == WaitResult::kTimedOut);
  return response_.ttl();
}

}  // namespace kb::etcd::internal
