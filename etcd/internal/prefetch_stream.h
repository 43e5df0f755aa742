#pragma once
// Reads a SnapshotStream on a thread of its own into a bounded queue, so that receiving
// (TLS, HTTP/2, protobuf parsing inside gRPC) runs beside the consumer (hashing, compression,
// upload) instead of taking turns with it. Memory: at most `max_buffered_bytes` of blobs.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "etcd/internal/snapshot_stream.h"

namespace kb::etcd::internal {

/// A SnapshotStream that prefetches `inner`. Next() is for one consumer thread.
class PrefetchSnapshotStream final : public SnapshotStream {
 public:
  /// Starts reading `inner` at once. `inner` must outlive this object, and its Cancel() must be
  /// callable from another thread. `max_buffered_bytes`: blob bytes queued at most (a single
  /// larger message is still queued alone).
  PrefetchSnapshotStream(SnapshotStream& inner, std::size_t max_buffered_bytes);
  /// Cancels `inner` if it has not ended and joins the reader.
  ~PrefetchSnapshotStream() override;
  PrefetchSnapshotStream(PrefetchSnapshotStream const&) = delete;
  PrefetchSnapshotStream& operator=(PrefetchSnapshotStream const&) = delete;

  /// The next message `inner` gave, in order; then false (ended OK) or inner's error.
  StatusOr<bool> Next(etcdserverpb::SnapshotResponse& msg) override;
  /// Cancels `inner`; the reader ends with its error.
  void Cancel() override;

 private:
  void ReadLoop(std::stop_token stop);

  SnapshotStream& inner_;
  std::size_t const max_buffered_bytes_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::deque<etcdserverpb::SnapshotResponse> queue_;
  std::size_t buffered_bytes_ = 0;
  // Who sleeps on `changed_`: each side wakes the other only when it waits, and the reader, once
  // the queue was full, only after the consumer drained half of it (fewer context switches on a
  // busy node; a message of 32 KiB would otherwise cost a wake-up each).
  bool reader_waiting_ = false;
  bool consumer_waiting_ = false;
  bool ended_ = false;      // the reader is done: `end_` says how
  Status end_;              // OK = the stream ended normally
  std::jthread reader_;     // last: started after everything above exists
};

}  // namespace kb::etcd::internal
