#pragma once
// A fixed pool of worker threads fed through a bounded queue: Submit blocks while the queue is
// full (back-pressure on the reader), Drain waits for everything submitted so far.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kb::restore::internal {

/// Runs tasks on `workers` threads. Thread-safe for one submitter; tasks must not throw.
class WorkQueue {
 public:
  /// Starts `workers` threads (at least 1); at most `max_queued` tasks wait at once.
  WorkQueue(int workers, std::size_t max_queued);
  /// Runs what is queued, then joins the threads.
  ~WorkQueue();
  WorkQueue(WorkQueue const&) = delete;
  WorkQueue& operator=(WorkQueue const&) = delete;

  /// Queues `task`; blocks while max_queued tasks are waiting.
  void Submit(std::function<void()> task);
  /// Blocks until every task submitted so far has finished.
  void Drain();

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queued_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace kb::restore::internal
