#include "etcd/internal/prefetch_stream.h"

namespace kb::etcd::internal {

PrefetchSnapshotStream::PrefetchSnapshotStream(SnapshotStream& inner,
                                               std::size_t max_buffered_bytes)
    : inner_(inner),
      max_buffered_bytes_(max_buffered_bytes),
      reader_([this](std::stop_token stop) { ReadLoop(stop); }) {}

PrefetchSnapshotStream::~PrefetchSnapshotStream() {
  bool ended;
  {
    std::lock_guard lock(mu_);
    ended = ended_;
  }
  if (!ended) inner_.Cancel();  // unblocks a reader waiting inside inner_.Next()
  reader_.request_stop();       // unblocks a reader waiting for room in the queue
  changed_.notify_all();
  reader_.join();
}

void PrefetchSnapshotStream::Cancel() { inner_.Cancel(); }

void PrefetchSnapshotStream::ReadLoop(std::stop_token stop) {
  for (;;) {
    etcdserverpb::SnapshotResponse msg;
    StatusOr<bool> got = inner_.Next(msg);
    std::unique_lock lock(mu_);
    if (!got.ok() || !*got) {
      ended_ = true;
      end_ = got.ok() ? OkStatus() : got.status();
      changed_.notify_all();
      return;
    }
    std::size_t const size = msg.blob().size();
    if (!queue_.empty() && buffered_bytes_ + size > max_buffered_bytes_) {
      reader_waiting_ = true;
      changed_.wait(lock, stop, [&] {
        return queue_.empty() || buffered_bytes_ + size <= max_buffered_bytes_ / 2;
      });
      reader_waiting_ = false;
    }
    if (stop.stop_requested()) {
      ended_ = true;
      end_ = CancelledError("snapshot stream abandoned by its reader");
      return;
    }
    buffered_bytes_ += size;
    queue_.push_back(std::move(msg));
    if (consumer_waiting_) changed_.notify_all();
  }
}

StatusOr<bool> PrefetchSnapshotStream::Next(etcdserverpb::SnapshotResponse& msg) {
  std::unique_lock lock(mu_);
  if (queue_.empty() && !ended_) {
    consumer_waiting_ = true;
    changed_.wait(lock, [&] { return !queue_.empty() || ended_; });
    consumer_waiting_ = false;
  }
  if (!queue_.empty()) {
    msg = std::move(queue_.front());
    queue_.pop_front();
    buffered_bytes_ -= msg.blob().size();
    if (reader_waiting_ && (queue_.empty() || buffered_bytes_ <= max_buffered_bytes_ / 2)) {
      changed_.notify_all();
    }
    return true;
  }
  if (!end_.ok()) return end_;
  return false;
}

}  // namespace kb::etcd::internal
