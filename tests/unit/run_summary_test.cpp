// Run summaries: statuses and exit codes, the JSON object `run --json` prints, and the text lines.
#include <boost/test/unit_test.hpp>

#include <regex>

#include "pipelines/sync/run_summary.hpp"

using namespace backflow;
using nlohmann::json;

namespace {

run_summary sample() {
  run_summary s;
  s.sync = "pql_to_hubspot";
  s.run_id = 17;
  s.status = run_status::partial;
  s.started_at = "2026-01-01T00:00:00.000Z";
  s.finished_at = "2026-01-01T00:00:01.250Z";
  s.duration_ms = 1250;
  s.plan = {1000, 10, 5, 2, 983, 1};
  s.outcomes = {15, 1, 2, 0, 3};
  s.api_calls = 4;
  s.splits = 1;
  s.rejected = {{"bad@x", "VALIDATION_ERROR: Invalid email [INVALID_EMAIL]"}};
  s.peak_rss_mb = 41.6;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_summaries)

BOOST_AUTO_TEST_CASE(statuses_map_to_exit_codes) {
  BOOST_TEST(exit_code(run_status::success) == 0);
  BOOST_TEST(exit_code(run_status::partial) == 1);
  BOOST_TEST(exit_code(run_status::config_error) == 2);
  BOOST_TEST(exit_code(run_status::aborted) == 3);
  BOOST_TEST(exit_code(run_status::incomplete) == 4);
  BOOST_TEST(exit_code(run_status::planned) == 0);
  BOOST_TEST(std::string(to_string(run_status::incomplete)) == "incomplete");
  BOOST_TEST(std::string(to_string(run_status::planned)) == "planned");
}

BOOST_AUTO_TEST_CASE(the_json_object_has_ids_status_counts_calls_and_duration) {
  auto j = sample().to_json();
  BOOST_TEST(j["sync"] == "pql_to_hubspot");
  BOOST_TEST(j["run_id"] == 17);
  BOOST_TEST(j["status"] == "partial");
  BOOST_TEST(j["exit_code"] == 1);
  BOOST_TEST(j["duration_ms"] == 1250);
  BOOST_TEST(j["api_calls"] == 4);
  BOOST_TEST(j["splits"] == 1);
  BOOST_TEST(j["resumed"] == false);
  BOOST_TEST(!j.contains("resumed_from"));
  BOOST_TEST(!j.contains("error"));
  BOOST_TEST(!j.contains("problems"));
  BOOST_TEST(j["peak_rss_mb"] == 42);
  BOOST_TEST(j["counts"] == json({{"extracted", 1000},
                                  {"added", 10},
                                  {"changed", 5},
                                  {"deleted", 2},
                                  {"unchanged", 983},
                                  {"unchanged_rejected", 1},
                                  {"delivered", 15},
                                  {"rejected", 1},
                                  {"skipped", 2},
                                  {"failed", 0},
                                  {"retried", 3},
                                  {"not_updated", 0}}));
  BOOST_TEST(j["rejected"] ==
             json::array({{{"key", "bad@x"},
                           {"reason", "VALIDATION_ERROR: Invalid email [INVALID_EMAIL]"}}}));
}

BOOST_AUTO_TEST_CASE(optional_fields_appear_when_set) {
  auto s = sample();
  s.status = run_status::aborted;
  s.resumed = true;
  s.resumed_from = 16;
  s.error = "guard tripped";
  s.problems = {"guards.max_deleted_ratio: ..."};
  auto j = s.to_json();
  BOOST_TEST(j["exit_code"] == 3);
  BOOST_TEST(j["resumed_from"] == 16);
  BOOST_TEST(j["error"] == "guard tripped");
  BOOST_TEST(j["problems"] == json::array({"guards.max_deleted_ratio: ..."}));
}

BOOST_AUTO_TEST_CASE(the_text_form_summarises_plan_and_delivery) {
  auto text = sample().to_text();
  BOOST_TEST(text.rfind("run 17 of pql_to_hubspot: partial in 1250 ms\n", 0) == 0, text);
  BOOST_TEST(
      text.find("  plan:      10 added, 5 changed, 2 deleted, 983 unchanged, 1 still rejected "
                "(row unchanged) (1000 rows read)\n") != std::string::npos,
      text);
  BOOST_TEST(
      text.find("  delivery:  15 delivered, 1 rejected, 2 settled without a request, 0 left for "
                "the next run; 4 API calls, 3 records retried\n") != std::string::npos,
      text);
  BOOST_TEST(text.find("  rejected:  bad@x: VALIDATION_ERROR: Invalid email [INVALID_EMAIL]\n") !=
                 std::string::npos,
             text);
  auto resumed = sample();
  resumed.resumed = true;
  resumed.resumed_from = 16;
  auto r = resumed.to_text();
  BOOST_TEST(r.rfind("run 17 of pql_to_hubspot: partial (first finished the change set of "
                     "interrupted run 16) in 1250 ms\n",
                     0) == 0,
             r);
  BOOST_TEST(r.find("  plan:      10 added") != std::string::npos, r);  // then planned anew
}

BOOST_AUTO_TEST_CASE(iso_now_is_utc_with_milliseconds) {
  auto now = iso_now();
  BOOST_TEST(std::regex_match(now, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")),
             now);
  BOOST_TEST(peak_rss_mb() > 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
