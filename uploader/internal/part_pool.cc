#include "uploader/internal/part_pool.h"

namespace kb::uploader::internal {

PartPool::PartPool(int threads, int max_queued) : max_queued_(std::max(1, max_queued)) {
  threads = std::max(1, threads);
  workers_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this](std::stop_token stop) { Work(stop); });
  }
}

PartPool::~PartPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }
  for (auto& w : workers_) w.request_stop();
  changed_.notify_all();
  workers_.clear();  // joins
}

Status PartPool::Submit(std::function<Status()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] {
    return !error_.ok() || static_cast<int>(queue_.size()) < max_queued_;
  });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(task));
  changed_.notify_all();
  return OkStatus();
}

Status PartPool::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
  return error_;
}

void PartPool::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = std::move(status);
  queue_.clear();
  changed_.notify_all();
}

void PartPool::Work(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, stop, [&] { return !queue_.empty(); });
    if (stop.stop_requested()) return;
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    changed_.notify_all();  // room in the queue
    lock.unlock();
    Status st = task();
    lock.lock();
    --running_;
    if (!st.ok() && error_.ok()) {
      error_ = std::move(st);
      queue_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace kb::uploader::internal
