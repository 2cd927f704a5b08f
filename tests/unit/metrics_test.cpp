// Prometheus text of `backflow serve`: exact output, cumulative histogram buckets, escaping.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pipelines/serve/metrics.hpp"

using namespace backflow;

namespace {

nlohmann::json summary(const std::string& status, int64_t duration_ms, uint64_t delivered = 0,
                       uint64_t rejected = 0, uint64_t api_calls = 0,
                       const std::string& finished_at = "2026-11-24T17:00:00.500Z",
                       int64_t rate_limit_wait_ms = 0) {
  return {{"status", status},
          {"duration_ms", duration_ms},
          {"api_calls", api_calls},
          {"rate_limit_wait_ms", rate_limit_wait_ms},
          {"finished_at", finished_at},
          {"counts",
           {{"delivered", delivered}, {"rejected", rejected}, {"failed", 0}, {"retried", 0},
            {"added", delivered + rejected}, {"unchanged", 7}}}};
}

bool contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(one_run_renders_exactly) {
  metrics_registry m;
  m.record_run("pql", summary("success", 1200, 3, 1, 2, "2026-11-24T17:00:00.500Z", 250));
  m.set_quota("hubspot:123", 40, 100);
  m.record_schedule_lag(std::chrono::milliseconds(7250));
  m.set_schedule({4, 4, 37, std::chrono::milliseconds(12345)});
  const std::string expected =
      "# HELP backflow_runs_total Finished runs by status.\n"
      "# TYPE backflow_runs_total counter\n"
      "backflow_runs_total{sync=\"pql\",status=\"aborted\"} 0\n"
      "backflow_runs_total{sync=\"pql\",status=\"config_error\"} 0\n"
      "backflow_runs_total{sync=\"pql\",status=\"incomplete\"} 0\n"
      "backflow_runs_total{sync=\"pql\",status=\"partial\"} 0\n"
      "backflow_runs_total{sync=\"pql\",status=\"stale\"} 0\n"
      "backflow_runs_total{sync=\"pql\",status=\"success\"} 1\n"
      "# HELP backflow_records_total Records by delivery outcome (failed = left for the next run).\n"
      "# TYPE backflow_records_total counter\n"
      "backflow_records_total{sync=\"pql\",outcome=\"delivered\"} 3\n"
      "backflow_records_total{sync=\"pql\",outcome=\"failed\"} 0\n"
      "backflow_records_total{sync=\"pql\",outcome=\"rejected\"} 1\n"
      "backflow_records_total{sync=\"pql\",outcome=\"retried\"} 0\n"
      "# HELP backflow_api_calls_total Requests sent to the destination.\n"
      "# TYPE backflow_api_calls_total counter\n"
      "backflow_api_calls_total{sync=\"pql\"} 2\n"
      "# HELP backflow_last_success_timestamp_seconds Unix time the last run finished with status "
      "success or partial.\n"
      "# TYPE backflow_last_success_timestamp_seconds gauge\n"
      "backflow_last_success_timestamp_seconds{sync=\"pql\"} 1795539600.5\n"
      "# HELP backflow_run_duration_seconds Wall-clock duration of runs.\n"
      "# TYPE backflow_run_duration_seconds histogram\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"0.1\"} 0\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"0.5\"} 0\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"1\"} 0\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"5\"} 1\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"15\"} 1\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"60\"} 1\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"300\"} 1\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"900\"} 1\n"
      "backflow_run_duration_seconds_bucket{sync=\"pql\",le=\"+Inf\"} 1\n"
      "backflow_run_duration_seconds_sum{sync=\"pql\"} 1.2\n"
      "backflow_run_duration_seconds_count{sync=\"pql\"} 1\n"
      "# HELP backflow_rate_limit_wait_seconds_total Time requests waited for their account's "
      "shared rate limiter, summed over requests.\n"
      "# TYPE backflow_rate_limit_wait_seconds_total counter\n"
      "backflow_rate_limit_wait_seconds_total{sync=\"pql\"} 0.25\n"
      "# HELP backflow_quota_used Destination API calls used in the current quota day.\n"
      "# TYPE backflow_quota_used gauge\n"
      "backflow_quota_used{account=\"hubspot:123\"} 40\n"
      "# HELP backflow_quota_remaining Destination API calls left in the current quota day.\n"
      "# TYPE backflow_quota_remaining gauge\n"
      "backflow_quota_remaining{account=\"hubspot:123\"} 60\n"
      "# HELP backflow_schedule_lag_seconds Time from a run's scheduled slot, or its trigger, to its "
      "start.\n"
      "# TYPE backflow_schedule_lag_seconds histogram\n"
      "backflow_schedule_lag_seconds_bucket{le=\"0.01\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"0.05\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"0.1\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"0.5\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"1\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"5\"} 0\n"
      "backflow_schedule_lag_seconds_bucket{le=\"15\"} 1\n"
      "backflow_schedule_lag_seconds_bucket{le=\"60\"} 1\n"
      "backflow_schedule_lag_seconds_bucket{le=\"300\"} 1\n"
      "backflow_schedule_lag_seconds_bucket{le=\"900\"} 1\n"
      "backflow_schedule_lag_seconds_bucket{le=\"+Inf\"} 1\n"
      "backflow_schedule_lag_seconds_sum 7.25\n"
      "backflow_schedule_lag_seconds_count 1\n"
      "# HELP backflow_syncs_due_waiting Syncs due or triggered that have not started: waiting for a "
      "free run slot.\n"
      "# TYPE backflow_syncs_due_waiting gauge\n"
      "backflow_syncs_due_waiting 37\n"
      "# HELP backflow_schedule_oldest_wait_seconds How long the longest waiting of the syncs due "
      "has waited to start.\n"
      "# TYPE backflow_schedule_oldest_wait_seconds gauge\n"
      "backflow_schedule_oldest_wait_seconds 12.345\n"
      "# HELP backflow_runs_in_progress Runs going now.\n"
      "# TYPE backflow_runs_in_progress gauge\n"
      "backflow_runs_in_progress 4\n"
      "# HELP backflow_run_slots Runs that may go at once (--max-concurrent-runs).\n"
      "# TYPE backflow_run_slots gauge\n"
      "backflow_run_slots 4\n";
  BOOST_TEST(m.render() == expected);
}

BOOST_AUTO_TEST_CASE(empty_registry_still_declares_every_family) {
  metrics_registry m;
  const auto text = m.render();
  for (const char* name :
       {"backflow_runs_total", "backflow_records_total", "backflow_api_calls_total",
        "backflow_last_success_timestamp_seconds", "backflow_run_duration_seconds",
        "backflow_rate_limit_wait_seconds_total", "backflow_quota_used", "backflow_quota_remaining",
        "backflow_schedule_lag_seconds", "backflow_syncs_due_waiting",
        "backflow_schedule_oldest_wait_seconds", "backflow_runs_in_progress", "backflow_run_slots"})
    BOOST_TEST(text.find(std::string("# TYPE ") + name + " ") != std::string::npos, name);
  // No per-sync or per-account series; the scheduler's own series start at zero.
  BOOST_TEST(text.find("sync=") == std::string::npos);
  BOOST_TEST(text.find("account=") == std::string::npos);
  BOOST_TEST(contains(text, "backflow_schedule_lag_seconds_bucket{le=\"+Inf\"} 0"));
  BOOST_TEST(contains(text, "backflow_schedule_lag_seconds_count 0"));
  BOOST_TEST(contains(text, "backflow_syncs_due_waiting 0"));
  BOOST_TEST(contains(text, "backflow_runs_in_progress 0"));
}

BOOST_AUTO_TEST_CASE(schedule_lag_buckets_are_cumulative_and_inclusive) {
  metrics_registry m;
  // Bounds 0.01 0.05 0.1 0.5 1 5 15 60 300 900 s; a negative lag (clock step) counts as 0.
  for (int64_t ms : {-5, 0, 10, 11, 50, 999, 1000, 23'000, 23'000, 3'600'000})
    m.record_schedule_lag(std::chrono::milliseconds(ms));
  const auto text = m.render();
  const std::pair<const char*, int> expected[] = {{"0.01", 3}, {"0.05", 5}, {"0.1", 5}, {"0.5", 5},
                                                  {"1", 7},    {"5", 7},    {"15", 7},  {"60", 9},
                                                  {"300", 9},  {"900", 9},  {"+Inf", 10}};
  for (const auto& [le, n] : expected)
    BOOST_TEST(contains(text, "backflow_schedule_lag_seconds_bucket{le=\"" + std::string(le) + "\"} " +
                                  std::to_string(n)),
               le);
  BOOST_TEST(contains(text, "backflow_schedule_lag_seconds_count 10"));
  // 0 + 0 + 10 + 11 + 50 + 999 + 1000 + 23000 + 23000 + 3600000 ms
  BOOST_TEST(contains(text, "backflow_schedule_lag_seconds_sum 3648.07"));
}

BOOST_AUTO_TEST_CASE(scheduler_gauges_show_the_last_status_set) {
  metrics_registry m;
  m.set_schedule({2, 8, 500, std::chrono::milliseconds(23'456)});
  m.set_schedule({3, 8, 459, std::chrono::milliseconds(1'500)});
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_syncs_due_waiting 459"));
  BOOST_TEST(contains(text, "backflow_schedule_oldest_wait_seconds 1.5"));
  BOOST_TEST(contains(text, "backflow_runs_in_progress 3"));
  BOOST_TEST(contains(text, "backflow_run_slots 8"));
}

BOOST_AUTO_TEST_CASE(added_sync_shows_zero_series_before_its_first_run) {
  metrics_registry m;
  m.add_sync("idle");
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"idle\",status=\"success\"} 0"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_count{sync=\"idle\"} 0"));
  BOOST_TEST(text.find("backflow_last_success_timestamp_seconds{") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative) {
  metrics_registry m;
  for (int64_t ms : {50, 100, 400, 3000, 3000, 70'000, 2'000'000})
    m.record_run("s", summary("success", ms));
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"0.1\"} 2"));  // le is inclusive
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"0.5\"} 3"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"1\"} 3"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"5\"} 5"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"15\"} 5"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"60\"} 5"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"300\"} 6"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"900\"} 6"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_bucket{sync=\"s\",le=\"+Inf\"} 7"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_count{sync=\"s\"} 7"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_sum{sync=\"s\"} 2076.55"));
}

BOOST_AUTO_TEST_CASE(runs_and_records_accumulate_per_sync_and_status) {
  metrics_registry m;
  m.record_run("a", summary("success", 10, 5, 0, 1, "2026-11-24T17:00:00Z"));
  m.record_run("a", summary("partial", 10, 2, 3, 4, "2026-11-24T17:05:00Z"));
  m.record_run("a", summary("incomplete", 10, 1, 0, 2, "2026-11-24T17:10:00Z"));
  m.record_run("a", summary("skipped_stale", 10));
  m.record_run("b", summary("aborted", 10));
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"a\",status=\"success\"} 1"));
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"a\",status=\"partial\"} 1"));
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"a\",status=\"incomplete\"} 1"));
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"a\",status=\"skipped_stale\"} 1"));
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"b\",status=\"aborted\"} 1"));
  BOOST_TEST(contains(text, "backflow_records_total{sync=\"a\",outcome=\"delivered\"} 8"));
  BOOST_TEST(contains(text, "backflow_records_total{sync=\"a\",outcome=\"rejected\"} 3"));
  BOOST_TEST(contains(text, "backflow_api_calls_total{sync=\"a\"} 7"));
  // The incomplete run at 17:10 does not count; the partial one at 17:05 does.
  BOOST_TEST(contains(text, "backflow_last_success_timestamp_seconds{sync=\"a\"} 1795539900"));
  BOOST_TEST(text.find("backflow_last_success_timestamp_seconds{sync=\"b\"}") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  BOOST_TEST(escape_label_value(R"(a\b"c)" "\n" "d") == R"(a\\b\"c\nd)");
  metrics_registry m;
  m.record_run("we\"ird\\na\nme", summary("success", 1));
  m.set_quota("acc\"1", 1, 2);
  const auto text = m.render();
  BOOST_TEST(contains(text, R"(backflow_api_calls_total{sync="we\"ird\\na\nme"} 0)"));
  BOOST_TEST(contains(text, R"(backflow_quota_used{account="acc\"1"} 1)"));
}

BOOST_AUTO_TEST_CASE(quota_remaining_never_goes_negative_and_follows_updates) {
  metrics_registry m;
  m.set_quota("acct", 120, 100);
  BOOST_TEST(contains(m.render(), "backflow_quota_remaining{account=\"acct\"} 0"));
  m.set_quota("acct", 10, 100);
  BOOST_TEST(contains(m.render(), "backflow_quota_used{account=\"acct\"} 10"));
  BOOST_TEST(contains(m.render(), "backflow_quota_remaining{account=\"acct\"} 90"));
}

BOOST_AUTO_TEST_CASE(sample_values_use_prometheus_spelling) {
  BOOST_TEST(format_sample_value(3) == "3");
  BOOST_TEST(format_sample_value(0.1) == "0.1");
  BOOST_TEST(format_sample_value(1e300) == "1e+300");
  BOOST_TEST(format_sample_value(1.0 / 0.0) == "+Inf");
}

BOOST_AUTO_TEST_CASE(malformed_summaries_count_as_runs_without_figures) {
  metrics_registry m;
  m.record_run("x", nlohmann::json::object());
  m.record_run("x", nlohmann::json("not an object"));
  m.record_run("x", {{"status", "success"}, {"counts", 5}, {"duration_ms", -3}});
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"x\",status=\"unknown\"} 2"));
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"x\",status=\"success\"} 1"));
  BOOST_TEST(contains(text, "backflow_run_duration_seconds_count{sync=\"x\"} 3"));
  // A summary without finished_at counts as finished now.
  BOOST_TEST(text.find("backflow_last_success_timestamp_seconds{sync=\"x\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(concurrent_updates_are_all_counted) {
  metrics_registry m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 500; ++i) {
        m.record_run("s", summary("success", 10, 1, 0, 0, "2026-11-24T17:00:00.500Z", 500));
        (void)m.render();
      }
    });
  for (auto& t : threads)
    t.join();
  const auto text = m.render();
  BOOST_TEST(contains(text, "backflow_runs_total{sync=\"s\",status=\"success\"} 2000"));
  BOOST_TEST(contains(text, "backflow_records_total{sync=\"s\",outcome=\"delivered\"} 2000"));
  BOOST_TEST(contains(text, "backflow_rate_limit_wait_seconds_total{sync=\"s\"} 1000"));
}

BOOST_AUTO_TEST_SUITE_END()
