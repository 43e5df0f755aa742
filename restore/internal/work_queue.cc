#include "restore/internal/work_queue.h"

#include <algorithm>

namespace kb::restore::internal {

WorkQueue::WorkQueue(int workers, std::size_t max_queued) : max_queued_(std::max<std::size_t>(1, max_queued)) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  threads_.clear();  // joins
}

void WorkQueue::Submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.size() < max_queued_; });
  queue_.push_back(std::move(task));
  lock.unlock();
  changed_.notify_all();
}

void WorkQueue::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void WorkQueue::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    changed_.notify_all();  // room in the queue
    task();
    lock.lock();
    --running_;
    changed_.notify_all();
  }
}

}  // namespace kb::restore::internal
