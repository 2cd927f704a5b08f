// The threads that run the syncs of `backflow serve`: a fixed number, reused from run to run.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace backflow {

/// Up to `size` threads, started as runs need them and kept for the next runs. A thread per run
/// cost a thread start and, with glibc, bound each new thread to a malloc arena of its own whose
/// freed memory stayed with the arena: the heap grew with the number of syncs. The service never
/// queues more jobs than it has run slots, so a job starts at once.
class run_pool {
 public:
  explicit run_pool(size_t size);
  /// Finishes the queued jobs, then joins the threads.
  ~run_pool();
  run_pool(const run_pool&) = delete;
  run_pool& operator=(const run_pool&) = delete;

  /// Runs `job` on a free thread (starting one while fewer than `size` exist), or queues it
  /// until one is free. `job` must not throw.
  void submit(std::function<void()> job);

  /// Threads started so far (at most `size`).
  [[nodiscard]] size_t threads() const;

 private:
  void work();

  const size_t size_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool closing_ = false;
};

}  // namespace backflow
