#pragma once
// A bounded pool of worker threads for parts in flight: at most `threads` run and at most
// `max_queued` wait; Submit blocks beyond that (backpressure). The first error sticks: later
// tasks are dropped and Submit/Wait return it.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/base/status.h"

namespace kb::uploader::internal {

/// Runs Status-returning tasks on `threads` std::jthreads. Thread-safe.
class PartPool {
 public:
  /// `threads` >= 1 workers; `max_queued` >= 1 tasks waiting before Submit blocks.
  PartPool(int threads, int max_queued);
  /// Drops queued tasks, waits for running ones, joins the workers.
  ~PartPool();
  PartPool(PartPool const&) = delete;
  PartPool& operator=(PartPool const&) = delete;

  /// Queues `task`, blocking while the queue is full. Returns the first error of an earlier task
  /// (and does not queue this one), else OK.
  Status Submit(std::function<Status()> task);
  /// Blocks until every queued task has run; returns the first error, else OK.
  Status Wait();
  /// Makes waiting and later tasks fail with `status` (e.g. the producer failed).
  void Fail(Status status);

 private:
  void Work(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any changed_;
  std::deque<std::function<Status()>> queue_;
  int running_ = 0;
  int max_queued_;
  Status error_;
  std::vector<std::jthread> workers_;
};

}  // namespace kb::uploader::internal
