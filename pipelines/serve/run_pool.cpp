// A bounded pool of run threads (see run_pool.hpp).
#include "pipelines/serve/run_pool.hpp"

#include <algorithm>

namespace backflow {

run_pool::run_pool(size_t size) : size_(std::max<size_t>(size, 1)) {}

run_pool::~run_pool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void run_pool::submit(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mutex_);
  jobs_.push_back(std::move(job));
  // Each idle thread takes one queued job; a job no idle thread will take gets a new thread.
  if (jobs_.size() > idle_ && threads_.size() < size_)
    threads_.emplace_back([this] { work(); });
  else
    ready_.notify_one();
}

size_t run_pool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_.size();
}

void run_pool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    ready_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty())
      return;  // closing, nothing left to do
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // what it holds (a sync's config) goes now, not at the next job
    lock.lock();
  }
}

}  // namespace backflow
