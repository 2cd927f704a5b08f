// End to end: destination quotas hold across restarts. A daily budget (a share of the account's
// daily limit) is persisted in the state directory, so a sequence of runs, each a fresh process,
// never goes over it; the run that spends it stops and pauses the account until the reset at the
// account's midnight, later runs that day call nothing, and runs after the reset finish the job.
// With known window limits a run at full speed gets no 429 at all.
//
// The engine's clock is moved with BACKFLOW_FAKE_NOW (unix seconds). The emulator's daily
// counter counts since it started, so a new vendor day is emulated by raising its daily limit
// by one day's worth (POST /__emulator/limits).
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_quota)

using namespace backflow::testing;
using nlohmann::json;

namespace {

constexpr int64_t daily_limit = 100;  ///< the account's daily limit (emulator and sync)
constexpr int64_t budget_calls = 80;  ///< budget 0.8 of it
constexpr int64_t day1 = 1773100800;  ///< 2026-03-10T00:00:00Z
constexpr int64_t hour = 3600;
constexpr int64_t minute = 60;

/// A SQLite contacts model, a HubSpot emulator with a daily limit and no 10-second limit, and a
/// state directory that outlives every run (each run is a new process: a restart).
struct quota_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", std::to_string(daily_limit)}};
  cli backflow{dir.file("state"), {}};
  int64_t emulator_day_start = 0;  ///< emulator requests before the current vendor day

  /// One call per record, so that a run needs many calls.
  std::string sync_file(const std::string& reset_offset = "+00:00") {
    auto sync = hubspot_sync(*model, hubspot.url());
    sync.merge_patch({{"destination",
                       {{"batch_size", 1},
                        {"rate_limit",
                         {{"per_10s", 0},
                          {"daily", daily_limit},
                          {"budget", 0.8},
                          {"reset_utc_offset", reset_offset}}}}}});
    return write_sync(dir, sync);
  }

  /// Runs the sync as a fresh process whose clock reads `now` (unix seconds).
  cli::run_result run_at(const std::string& sync, int64_t now) {
    backflow.env["BACKFLOW_FAKE_NOW"] = std::to_string(now);
    return backflow.run_sync(sync);
  }

  json requests() { return hubspot.requests(); }
  int64_t calls() { return requests()["count"].get<int64_t>(); }
  /// Requests the emulator answered with `status`, over every endpoint.
  int64_t answered(int status) {
    int64_t n = 0;
    for (auto& [endpoint, stats] : requests()["by_endpoint"].items())
      n += stats["status"].value(std::to_string(status), int64_t{0});
    return n;
  }
  /// The vendor's daily counter starts over: one more day's worth of calls.
  void vendor_day_starts() {
    emulator_day_start = calls();
    hubspot.control_post("limits", {{"daily", emulator_day_start + daily_limit}});
  }
  int64_t calls_today() { return calls() - emulator_day_start; }

  /// Every row of rows [0, n) is in HubSpot exactly once, created once.
  void require_all_delivered_once(int n) {
    auto records = hubspot.records();
    BOOST_TEST(records.size() == static_cast<size_t>(n));
    std::set<std::string> emails;
    for (auto& r : records) {
      emails.insert(r["properties"]["email"].get<std::string>());
      BOOST_TEST(r["creations"] == 1);
      BOOST_TEST(r["archived"] == false);
    }
    BOOST_TEST(emails.size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      BOOST_TEST(emails.count(email_of(i)) == 1u, email_of(i) << " is missing");
  }
};

void require_exit(const cli::run_result& r, int code) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code, "exit " << r.process.exit_code << " (want "
                                                             << code << ")\nstdout: " << r.process.out
                                                             << "\nstderr: " << r.process.err);
}

bool contains(const json& summary, const std::string& what) {
  return summary.is_object() && summary.value("error", std::string()).find(what) != std::string::npos;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_daily_budget_holds_across_restarts_pauses_until_the_reset_and_resumes,
                        quota_fixture) {
  auto sync = sync_file();
  const int64_t t = day1 + 9 * hour;  // 09:00Z on day 1

  // Run 1 fits in the budget: 30 calls.
  model->insert(0, 30);
  auto first = run_at(sync, t);
  require_exit(first, 0);
  BOOST_TEST(first.summary["api_calls"] == 30);
  BOOST_TEST(calls() == 30);

  // Run 2, a new process: it knows 30 calls are spent and stops at the budget (80), not at 80 more.
  model->insert(30, 200);
  auto second = run_at(sync, t + 5 * minute);
  require_exit(second, 4);
  BOOST_TEST(second.summary["status"] == "incomplete");
  BOOST_TEST(second.summary["api_calls"] == budget_calls - 30);
  BOOST_TEST(second.summary["counts"]["delivered"] == budget_calls - 30);
  BOOST_TEST(second.summary["counts"]["failed"] == 200 - budget_calls);
  BOOST_TEST(calls() == budget_calls);
  BOOST_TEST_MESSAGE("budget spent: " << second.summary["error"]);
  BOOST_TEST(contains(second.summary, "budget of 80 (80% of 100)"), second.summary["error"]);
  BOOST_TEST(contains(second.summary, "2026-03-11T00:00:00Z"), second.summary["error"]);

  // Run 3, later the same day: refused up front, not a single call.
  auto third = run_at(sync, t + 15 * minute);
  require_exit(third, 4);
  BOOST_TEST(third.summary["api_calls"] == 0);
  BOOST_TEST(third.summary["counts"]["failed"] == 200 - budget_calls);
  BOOST_TEST(calls() == budget_calls);
  BOOST_TEST_MESSAGE("same day: " << third.summary["error"]);
  BOOST_TEST(contains(third.summary, "paused until"), third.summary["error"]);
  BOOST_TEST(contains(third.summary, "2026-03-11T00:00:00Z"), third.summary["error"]);

  // Day 2, just after midnight UTC: the budget is back, and spent again on 80 of the 120 left.
  vendor_day_starts();
  auto fourth = run_at(sync, day1 + 24 * hour + 1 * minute);
  require_exit(fourth, 4);
  BOOST_TEST(fourth.summary["resumed"] == true);
  BOOST_TEST(fourth.summary["api_calls"] == budget_calls);
  BOOST_TEST(calls_today() == budget_calls);
  BOOST_TEST(contains(fourth.summary, "2026-03-12T00:00:00Z"), fourth.summary["error"]);
  auto fifth = run_at(sync, day1 + 30 * hour);
  require_exit(fifth, 4);
  BOOST_TEST(fifth.summary["api_calls"] == 0);
  BOOST_TEST(calls_today() == budget_calls);

  // Day 3: the last 40 go out and the run succeeds.
  vendor_day_starts();
  auto sixth = run_at(sync, day1 + 48 * hour + 2 * hour);
  require_exit(sixth, 0);
  BOOST_TEST(sixth.summary["status"] == "success");
  BOOST_TEST(sixth.summary["api_calls"] == 40);
  BOOST_TEST(calls_today() == 40);

  // Nothing was ever refused by the vendor, and every row arrived once.
  BOOST_TEST(answered(429) == 0);
  BOOST_TEST(calls() == 200);
  require_all_delivered_once(200);
  auto again = run_at(sync, day1 + 48 * hour + 3 * hour);
  require_exit(again, 0);
  BOOST_TEST(again.summary["api_calls"] == 0);
}

BOOST_FIXTURE_TEST_CASE(the_quota_day_ends_at_the_accounts_midnight_not_utc_midnight,
                        quota_fixture) {
  auto sync = sync_file("-05:00");
  model->insert(0, 100);
  // 22:00Z on day 1 is 17:00 in the account's zone (UTC-5): its day ends at 05:00Z on day 2.
  auto spent = run_at(sync, day1 + 22 * hour);
  require_exit(spent, 4);
  BOOST_TEST(spent.summary["api_calls"] == budget_calls);
  BOOST_TEST(contains(spent.summary, "2026-03-11T05:00:00Z"), spent.summary["error"]);

  // 02:00Z on day 2: a new UTC day, but still 21:00 on day 1 for the account.
  auto early = run_at(sync, day1 + 24 * hour + 2 * hour);
  require_exit(early, 4);
  BOOST_TEST(early.summary["api_calls"] == 0);
  BOOST_TEST(calls() == budget_calls);
  BOOST_TEST(contains(early.summary, "paused until"), early.summary["error"]);
  BOOST_TEST(contains(early.summary, "2026-03-11T05:00:00Z"), early.summary["error"]);
  // 04:59Z: one minute before the account's midnight, still nothing.
  auto almost = run_at(sync, day1 + 24 * hour + 5 * hour - minute);
  require_exit(almost, 4);
  BOOST_TEST(almost.summary["api_calls"] == 0);

  // 05:01Z: the account's new day. The 20 left go out.
  vendor_day_starts();
  auto after = run_at(sync, day1 + 24 * hour + 5 * hour + minute);
  require_exit(after, 0);
  BOOST_TEST(after.summary["api_calls"] == 20);
  BOOST_TEST(answered(429) == 0);
  require_all_delivered_once(100);
}

BOOST_AUTO_TEST_CASE(a_run_at_full_speed_within_known_window_limits_gets_no_429) {
  // 40 requests per rolling 10 s, declared by the sync exactly as the emulator enforces it;
  // 100 single-record requests with 4 in flight need about 2.5 windows at the full rate.
  constexpr int per_10s = 40;
  constexpr int rows = 100;
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", std::to_string(per_10s), "--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  model->insert(0, rows);
  auto sync = hubspot_sync(*model, hubspot.url());
  sync.merge_patch({{"destination",
                     {{"batch_size", 1}, {"rate_limit", {{"per_10s", per_10s}, {"daily", 0}}}}},
                    {"delivery", {{"concurrency", 4}}}});
  auto run = backflow.run_sync(write_sync(dir, sync));
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == rows);
  BOOST_TEST(run.summary["counts"]["retried"] == 0);
  BOOST_TEST(run.summary["api_calls"] == rows);
  auto requests = hubspot.requests();
  BOOST_TEST(requests["count"] == rows);
  int64_t refused = 0;
  for (auto& [endpoint, stats] : requests["by_endpoint"].items())
    refused += stats["status"].value("429", int64_t{0});
  BOOST_TEST(refused == 0);
  // Utilization is measured by bench/rate_utilization.sh, not asserted here.
  auto apply_ms = run.summary["apply_ms"].get<int64_t>();
  BOOST_TEST_MESSAGE("100 requests at 40/10s: apply_ms=" << apply_ms);
  BOOST_TEST(apply_ms >= 14000);  // the limiter was on: no window saw more than 40
  std::set<std::string> emails;
  for (auto& r : hubspot.records())
    emails.insert(r["properties"]["email"].get<std::string>());
  BOOST_TEST(emails.size() == static_cast<size_t>(rows));
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_quota
