// The scheduler of `backflow serve` with a run function of the test's own: real sync files, real
// state directory, runs that end in microseconds, so only the scheduling is measured.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "pipelines/serve/log_throttle.hpp"
#include "pipelines/schedule/schedule.hpp"
#include "pipelines/serve/sync_service.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace std::chrono_literals;
using backflow::testing::temp_dir;
using backflow::testing::write_file;

namespace {

/// A directory of `count` valid sync files named s1..sN on `schedule`, and a state directory.
struct scheduler_fixture {
  temp_dir dir;
  actor_runtime runtime;
  std::shared_ptr<state::state_dir> state;

  scheduler_fixture() {
    spdlog::set_level(spdlog::level::warn);  // thousands of "Run finished" lines otherwise
    auto opened = state::state_dir::open(dir.file("state"));
    BOOST_REQUIRE(opened);
    state = *opened;
  }
  ~scheduler_fixture() { spdlog::set_level(spdlog::level::info); }

  std::string write_syncs(size_t count, const nlohmann::json& schedule) {
    auto syncs = dir.file("syncs");
    std::filesystem::create_directories(syncs);
    for (size_t i = 1; i <= count; ++i) {
      nlohmann::json sync = {
          {"name", "s" + std::to_string(i)},
          {"source", {{"type", "sqlite"}, {"path", "m.sqlite"}, {"query", "SELECT k FROM t"}, {"key", "k"}}},
          {"destination",
           {{"type", "webhook"}, {"endpoint", "http://127.0.0.1:9/never"}, {"secret", "whsec_c2VjcmV0"}}},
          {"mode", "upsert"},
          {"schedule", schedule}};
      write_file(syncs + "/s" + std::to_string(i) + ".json", sync.dump());
    }
    return syncs;
  }
};

nlohmann::json instant_success() {
  return {{"status", "success"}, {"duration_ms", 0}, {"counts", {{"delivered", 0}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_scheduler)

// Issue 10, defect 14: a run finishing while the scheduler was between its turn and its wait was
// not noticed, and the scheduler slept until the next due slot or poll with syncs due and run
// slots free. 1,000 syncs every second through 2 run slots keep it busy all the time.
BOOST_FIXTURE_TEST_CASE(no_sync_waits_while_a_run_slot_is_free, scheduler_fixture) {
  constexpr size_t slots = 2;
  std::atomic<uint64_t> runs{0};
  service_options opts;
  opts.syncs_dir = write_syncs(1000, {{"every", "1s"}});
  opts.max_concurrent_runs = slots;
  opts.poll_interval = 60s;  // no poll rescues a scheduler that sleeps
  opts.run = [&](const sync_config&, const std::atomic<bool>&) {
    ++runs;
    return instant_success();
  };
  sync_service service(opts, runtime.system(), state, rate_limiter_actor{});
  service.start();

  // Sampled every millisecond: how long syncs waited while a run slot stood free.
  auto idle_since = std::chrono::steady_clock::time_point{};
  auto longest_idle = 0ms;
  size_t idle_due = 0;
  auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    auto s = service.status();
    auto now = std::chrono::steady_clock::now();
    if (s.running < slots && s.due_waiting > 0) {
      if (idle_since == std::chrono::steady_clock::time_point{})
        idle_since = now;
      auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(now - idle_since);
      if (idle > longest_idle) {
        longest_idle = idle;
        idle_due = s.due_waiting;
      }
    } else {
      idle_since = {};
    }
    std::this_thread::sleep_for(1ms);
  }
  service.begin_stop();
  BOOST_TEST(service.wait_stopped(std::chrono::system_clock::now() + 10s));
  BOOST_TEST_MESSAGE("runs: " << runs << ", longest wait with a free slot: " << longest_idle.count()
                              << " ms (" << idle_due << " syncs due)");
  BOOST_TEST(longest_idle.count() < 250, "syncs stayed due with a free run slot for "
                                       << longest_idle.count() << " ms (" << idle_due << " due)");
  BOOST_TEST(runs > 1000u);  // the first slot of every sync, and more
}

BOOST_AUTO_TEST_CASE(slot_times_carry_milliseconds) {
  auto t = std::chrono::system_clock::from_time_t(1795539600);  // 2026-11-24T17:00:00Z
  BOOST_TEST(iso8601_ms(t) == "2026-11-24T17:00:00.000Z");
  BOOST_TEST(iso8601_ms(t + 250ms + std::chrono::microseconds(999)) == "2026-11-24T17:00:00.250Z");
  BOOST_TEST(iso8601_ms(t + 59'999ms) == "2026-11-24T17:00:59.999Z");
  BOOST_TEST(iso8601_ms(std::chrono::system_clock::from_time_t(0) - 1ms) == "1969-12-31T23:59:59.999Z");
}

BOOST_FIXTURE_TEST_CASE(syncs_show_next_run_at_in_milliseconds_and_metrics_count_every_start,
                        scheduler_fixture) {
  std::atomic<int> runs{0};
  service_options opts;
  opts.syncs_dir = write_syncs(3, {{"every", "1h"}});
  opts.max_concurrent_runs = 1;
  opts.run = [&](const sync_config&, const std::atomic<bool>&) {
    ++runs;
    return instant_success();
  };
  sync_service service(opts, runtime.system(), state, rate_limiter_actor{});
  auto loaded = std::chrono::system_clock::now();
  service.start();
  for (int i = 0; i < 500 && (runs < 3 || service.running_count() > 0); ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_REQUIRE(runs == 3);
  auto listed = service.syncs();
  BOOST_REQUIRE_EQUAL(listed["syncs"].size(), 3u);
  for (const auto& sync : listed["syncs"]) {
    auto next = sync["next_run_at"].get<std::string>();
    BOOST_TEST(next.size() == 24u, next);  // 2026-11-24T18:00:00.123Z
    BOOST_TEST(next >= iso8601_ms(loaded + 1h), next);
    BOOST_TEST(next <= iso8601_ms(loaded + 1h + 5s), next);
  }
  auto metrics = service.metrics();
  BOOST_TEST(metrics.find("backflow_schedule_lag_seconds_count 3\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("backflow_syncs_due_waiting 0\n") != std::string::npos);
  BOOST_TEST(metrics.find("backflow_run_slots 1\n") != std::string::npos);
  BOOST_TEST(metrics.find("backflow_runs_total{sync=\"s2\",status=\"success\"} 1\n") != std::string::npos);
  service.begin_stop();
  BOOST_TEST(service.wait_stopped(std::chrono::system_clock::now() + 10s));
}

// Issue 10, defect 15: 2,000 syncs due at one minute must not write 2,000 lines.
BOOST_AUTO_TEST_CASE(a_throttled_log_lets_one_line_per_interval_and_counts_the_rest) {
  log_throttle throttle(10s);
  log_throttle::held_back held;
  auto t0 = log_throttle::clock::now();
  BOOST_TEST(throttle.admit(2500ms, held, t0));  // the first line always goes out
  BOOST_TEST(held.count == 0u);
  size_t admitted = 0;
  for (int i = 0; i < 2000; ++i)
    admitted += throttle.admit(std::chrono::milliseconds(1000 + i), held, t0 + 9999ms);
  BOOST_TEST(admitted == 0u);
  BOOST_TEST(throttle.admit(1200ms, held, t0 + 10s));
  BOOST_TEST(held.count == 2000u);
  BOOST_TEST(held.max_delay_ms == 2999);
  BOOST_TEST(!throttle.admit(5ms, held, t0 + 15s));
  BOOST_TEST(throttle.admit(7ms, held, t0 + 21s));  // a quiet 10 s: the next line goes at once
  BOOST_TEST(held.count == 1u);
  BOOST_TEST(held.max_delay_ms == 5);
}

BOOST_AUTO_TEST_SUITE_END()
