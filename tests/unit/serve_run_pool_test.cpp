// The run threads of `backflow serve`: bounded, reused, and a free thread takes a job at once.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "pipelines/serve/run_pool.hpp"

using namespace backflow;
using namespace std::chrono_literals;

namespace {

/// Counts down to zero; waits with a deadline.
class latch {
 public:
  explicit latch(int n) : n_(n) {}
  void arrive() {
    std::lock_guard lock(mutex_);
    if (--n_ <= 0)
      cv_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return n_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int n_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_run_pool)

BOOST_AUTO_TEST_CASE(thousands_of_jobs_reuse_at_most_size_threads) {
  std::mutex mutex;
  std::set<std::thread::id> seen;
  std::atomic<int> running{0}, most{0}, done{0};
  {
    run_pool pool(3);
    for (int i = 0; i < 3000; ++i) {
      pool.submit([&] {
        int now = ++running;
        for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
        }
        {
          std::lock_guard lock(mutex);
          seen.insert(std::this_thread::get_id());
        }
        --running;
        ++done;
      });
    }
    BOOST_TEST(pool.threads() <= 3u);
  }  // the destructor finishes the queued jobs
  BOOST_TEST(done == 3000);
  BOOST_TEST(seen.size() <= 3u);
  BOOST_TEST(most <= 3);
}

BOOST_AUTO_TEST_CASE(a_job_starts_at_once_while_fewer_jobs_than_threads_run) {
  run_pool pool(4);
  latch first(1);
  pool.submit([&] { first.arrive(); });
  BOOST_REQUIRE(first.wait_for(2s));
  std::this_thread::sleep_for(20ms);  // the one thread is idle again
  // Two jobs at once: each waits for the other to start, so they only finish if both run together
  // (one idle thread must not take both in turn).
  latch both(2), finished(2);
  for (int i = 0; i < 2; ++i)
    pool.submit([&] {
      both.arrive();
      both.wait_for(2s);
      finished.arrive();
    });
  BOOST_TEST(both.wait_for(1s), "the second job waited for the first to end");
  BOOST_TEST(finished.wait_for(3s));
  BOOST_TEST(pool.threads() == 2u);
}

BOOST_AUTO_TEST_CASE(jobs_beyond_the_size_wait_for_a_free_thread) {
  run_pool pool(2);
  latch release(1), started(2);
  std::atomic<int> third_ran{0};
  for (int i = 0; i < 2; ++i)
    pool.submit([&] {
      started.arrive();
      release.wait_for(5s);
    });
  BOOST_REQUIRE(started.wait_for(2s));
  pool.submit([&] { ++third_ran; });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(third_ran == 0);  // both threads are busy and no third one starts
  BOOST_TEST(pool.threads() == 2u);
  release.arrive();
  for (int i = 0; i < 200 && third_ran == 0; ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(third_ran == 1);
}

BOOST_AUTO_TEST_SUITE_END()
