// End to end: `backflow serve` runs a directory of syncs on second-scale schedules against the
// emulators, SQLite files and PostgreSQL: schedules fire, bad files are skipped, runs never
// overlap, syncs of one account share its rate limit and daily quota, SIGTERM loses nothing.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_http.hpp"

BOOST_AUTO_TEST_SUITE(e2e_serve)

using namespace backflow::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("e2e-serve-secret");

/// Polls `done` every 100 ms until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done())
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

struct serve_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  std::string syncs_dir = dir.file("syncs");
  cli backflow{dir.file("state"), {}};
  std::unique_ptr<background_process> serve;
  std::string api;  ///< "http://127.0.0.1:PORT"

  serve_fixture() { std::filesystem::create_directories(syncs_dir); }

  /// Writes `sync` as syncs/<file> and returns the path.
  std::string add_sync(const json& sync, const std::string& file) {
    auto path = syncs_dir + "/" + file;
    write_file(path, sync.dump(2));
    return path;
  }

  /// Starts `backflow serve` on a free port; returns its first stdout line.
  std::string start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {binary_path("backflow"), "serve", "--syncs", syncs_dir,
                                     "--state", backflow.state_dir, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    serve = std::make_unique<background_process>(argv);
    auto line = serve->wait_for_line("listening on");
    if (line.empty())  // (not in the assertion's message: Boost.Test may build that eagerly)
      BOOST_FAIL("backflow serve did not start: " << serve->wait(5s).err);
    api = line.substr(line.find("http://"));
    while (!api.empty() && (api.back() == '\n' || api.back() == '\r'))
      api.pop_back();
    return line;
  }

  /// SIGTERM (or `sig`), then the exit (which must be 0).
  process_result stop(int sig = SIGTERM) {
    serve->signal(sig);
    auto done = serve->wait(40s);
    BOOST_TEST(done.exit_code == 0, "exit " << done.exit_code << " signal " << done.signal << "\n"
                                            << done.err);
    return done;
  }

  /// The sync's run history, oldest first (from `backflow runs`, as an operator would see it).
  json runs(const std::string& sync_file) {
    auto listed = backflow.run({"runs", sync_file, "--state", backflow.state_dir, "--json",
                                "--limit", "1000"});
    auto parsed = json::parse(listed.out, nullptr, false);
    if (!parsed.is_array())
      return json::array();
    std::reverse(parsed.begin(), parsed.end());
    return parsed;
  }

  /// No two runs of the history overlap in time.
  static void check_runs_never_overlap(const json& history) {
    for (size_t i = 1; i < history.size(); ++i)
      BOOST_TEST(history[i - 1]["finished_at"].get<std::string>() <=
                     history[i]["started_at"].get<std::string>(),
                 "run " << history[i - 1]["run_id"] << " overlaps run " << history[i]["run_id"]);
  }
};

json every(const std::string& interval) { return {{"every", interval}}; }

/// The service's log (stderr, not a terminal) is one JSON object per line, and every line of a
/// run names its sync and run id; only lines about the service itself may lack the run.
void check_log_lines_name_their_run(const std::string& log) {
  static const std::vector<std::string> service_lines = {
      "Loaded sync:", "Reloaded sync:", "Removed sync:", "Skipping sync file:", "HTTP interface",
      "Stopping:",    "Stopped:",       "Run triggered:", "Paused:",           "Resumed:",
      "Schedule slot delayed:"};
  std::istringstream lines(log);
  std::string line;
  int run_lines = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("backflow serve:", 0) == 0)  // the banner on stdout's twin
      continue;
    auto entry = json::parse(line, nullptr, false);
    BOOST_REQUIRE_MESSAGE(entry.is_object(), "not a JSON log line: " << line);
    auto msg = entry.value("msg", "");
    bool about_service = std::any_of(service_lines.begin(), service_lines.end(),
                                     [&](const std::string& p) { return msg.rfind(p, 0) == 0; });
    if (about_service || entry.value("logger", "") == "serve")  // "serve": the HTTP interface
      continue;
    ++run_lines;
    BOOST_TEST((entry.contains("sync") && entry.contains("run_id")), "no sync or run_id: " << line);
  }
  BOOST_TEST(run_lines > 0);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(schedules_fire_and_a_bad_sync_file_does_not_stop_the_others, serve_fixture) {
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  emulator_process webhook{"webhook", {"--secret", secret}};
  webhook.fault({{"status", 503}, {"count", 2}});  // retried; the retries' log lines name the run
  model->insert(0, 20);
  auto to_hubspot = hubspot_sync(*model, hubspot.url());
  to_hubspot["schedule"] = every("2s");
  to_hubspot["destination"]["rate_limit"] = {{"per_10s", 0}, {"daily", 1000}, {"budget", 0.5}};
  auto to_webhook = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
  to_webhook["schedule"] = every("2s");
  auto on_demand = webhook_sync(*model, webhook.url("/hooks/on-demand"), secret);
  on_demand["name"] = "on_demand";
  on_demand["schedule"] = {{"manual", true}};
  auto hub_file = add_sync(to_hubspot, "hubspot.json");
  auto hook_file = add_sync(to_webhook, "webhook.json");
  auto manual_file = add_sync(on_demand, "on_demand.json");
  add_sync({{"name", "broken"}, {"source", model->source()}, {"destination", {{"type", "nowhere"}}}},
           "broken.json");

  auto banner = start();
  BOOST_TEST(banner.find("3 syncs, 1 invalid") != std::string::npos, banner);

  // Both scheduled syncs run at once on start, then again every 2 s.
  BOOST_TEST(eventually([&] { return runs(hub_file).size() >= 2 && runs(hook_file).size() >= 2; },
                        20s));
  auto hub_runs = runs(hub_file);
  auto hook_runs = runs(hook_file);
  BOOST_REQUIRE(!hub_runs.empty());
  BOOST_REQUIRE(!hook_runs.empty());
  BOOST_TEST(hub_runs[0]["status"] == "success", hub_runs[0].dump());
  BOOST_TEST(hub_runs[0]["counts"]["delivered"] == 20);
  BOOST_TEST(hook_runs[0]["status"] == "success", hook_runs[0].dump());
  BOOST_TEST(hook_runs[0]["counts"]["delivered"] == 20);
  auto records = hubspot.records();
  BOOST_TEST(records.size() == 20u);
  for (const auto& r : records)
    BOOST_TEST(r["creations"] == 1);
  BOOST_TEST(webhook.records().size() == 20u);
  check_runs_never_overlap(hub_runs);
  check_runs_never_overlap(hook_runs);

  // A manual sync runs only when triggered.
  BOOST_TEST(runs(manual_file).empty());
  auto listed = http_get(api + "/syncs");
  BOOST_REQUIRE_EQUAL(listed.status, 200);
  auto body = listed.json();
  BOOST_TEST(body["syncs"].size() == 3u, body.dump());
  BOOST_REQUIRE_EQUAL(body["invalid"].size(), 1u);
  BOOST_TEST(body["invalid"][0]["file"].get<std::string>().find("broken.json") != std::string::npos);
  auto triggered = http_call("POST", api + "/syncs/on_demand/run");
  BOOST_TEST(triggered.status == 202, triggered.status << " " << triggered.body);
  BOOST_TEST(eventually([&] { return runs(manual_file).size() == 1; }, 10s));
  BOOST_TEST(http_call("POST", api + "/syncs/nope/run").status == 404);
  // Metrics count the runs the service finished.
  auto metrics = http_get(api + "/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("on_demand") != std::string::npos, metrics.body);
  // The HubSpot account's daily quota: a budget of 500 calls, some used.
  auto quota = metrics.body.find("backflow_quota_remaining{account=\"hubspot:");
  BOOST_REQUIRE(quota != std::string::npos);
  auto remaining = std::stol(metrics.body.substr(metrics.body.find("} ", quota) + 2));
  BOOST_TEST(remaining < 500);
  BOOST_TEST(remaining > 400);

  auto done = stop();
  BOOST_TEST(done.err.find("broken.json") != std::string::npos, done.err);
  BOOST_TEST(done.err.find("Retrying: batch=") != std::string::npos, done.err);
  check_log_lines_name_their_run(done.err);
}

BOOST_FIXTURE_TEST_CASE(a_run_longer_than_its_interval_delays_its_next_slot_and_others_get_their_turn,
                        serve_fixture) {
  // 800 contacts in requests of 100, 400 ms each: the first run takes over 3 s, its interval is 1 s.
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0", "--latency-ms", "400"}};
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(0, 800);
  auto slow = hubspot_sync(*model, hubspot.url());
  slow["delivery"]["concurrency"] = 1;
  slow["schedule"] = every("1s");
  auto quick = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
  quick["schedule"] = every("1s");
  auto slow_file = add_sync(slow, "slow.json");
  auto quick_file = add_sync(quick, "quick.json");

  start({"--max-concurrent-runs", "1"});
  BOOST_TEST(eventually([&] { return runs(slow_file).size() >= 3 && runs(quick_file).size() >= 2; },
                        25s));
  auto metrics = http_get(api + "/metrics").body;
  auto listed = http_get(api + "/syncs").json();
  auto done = stop();

  auto slow_runs = runs(slow_file);
  auto quick_runs = runs(quick_file);
  BOOST_REQUIRE(slow_runs.size() >= 2u);
  BOOST_REQUIRE(!quick_runs.empty());
  BOOST_TEST(slow_runs[0]["duration_ms"].get<int64_t>() > 1000, slow_runs[0].dump());
  check_runs_never_overlap(slow_runs);
  check_runs_never_overlap(quick_runs);
  // One run slot: the waiting sync went before the slow one's delayed next slot.
  BOOST_TEST(quick_runs[0]["started_at"].get<std::string>() >= slow_runs[0]["finished_at"].get<std::string>());
  BOOST_TEST(quick_runs[0]["started_at"].get<std::string>() <= slow_runs[1]["started_at"].get<std::string>());
  BOOST_TEST(done.err.find("Schedule slot delayed: sync=contacts_to_hubspot") != std::string::npos,
             done.err);
  // Both were due at start; the slow one (first by name) took the slot for over 3 s, so the quick
  // one's first slot waited for it: the queue shows in the log and in the lag histogram.
  BOOST_TEST(done.err.find("Schedule slot delayed: sync=contacts_to_webhook") != std::string::npos,
             done.err);
  BOOST_TEST(done.err.find("reason=\\\"waiting for a free run slot\\\"") != std::string::npos, done.err);
  BOOST_TEST(metrics.find("backflow_run_slots 1\n") != std::string::npos, metrics);
  auto sample = [&](const std::string& series) {
    auto at = metrics.find(series + " ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, series << " not in\n" << metrics);
    return std::stoi(metrics.substr(at + series.size() + 1));
  };
  auto starts = sample("backflow_schedule_lag_seconds_count");
  BOOST_TEST(starts >= 5);  // every start so far
  BOOST_TEST(sample("backflow_schedule_lag_seconds_bucket{le=\"1\"}") < starts);  // some over 1 s late
  for (const auto& sync : listed["syncs"]) {  // "2026-11-24T17:00:01.250Z"
    auto next = sync["next_run_at"].is_string() ? sync["next_run_at"].get<std::string>() : "";
    BOOST_TEST((next.size() == 24u && next[19] == '.' && next.back() == 'Z'), sync.dump());
  }
  auto records = hubspot.records();
  BOOST_TEST(records.size() == 800u);
  for (const auto& r : records)
    BOOST_TEST(r["creations"] == 1);
}

BOOST_FIXTURE_TEST_CASE(sigterm_mid_run_then_restart_loses_nothing, serve_fixture) {
  // 1000 contacts in requests of 100, 300 ms each: about 3 s of delivery to interrupt.
  // The model is in PostgreSQL: the stop must also end a run whose source is a server cursor.
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0", "--latency-ms", "300"}};
  auto warehouse = postgres_contacts();
  warehouse->insert(0, 1000);
  auto slow = hubspot_sync(*warehouse, hubspot.url());
  slow["delivery"]["concurrency"] = 1;
  slow["schedule"] = every("1h");
  auto file = add_sync(slow, "slow.json");

  start();
  BOOST_REQUIRE(eventually([&] { return hubspot.requests()["count"].get<int>() >= 3; }, 15s));
  stop();
  auto first = runs(file);
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_TEST(first[0]["status"] == "incomplete", first[0].dump());
  BOOST_TEST(hubspot.records().size() < 1000u);

  // The restart's first run (an `every` sync is due at once) finishes the interrupted change set.
  start();
  BOOST_TEST(eventually([&] {
    auto h = runs(file);
    return h.size() >= 2 && h.back()["status"] != "incomplete";
  }, 20s));
  stop();
  auto history = runs(file);
  BOOST_REQUIRE_EQUAL(history.size(), 2u);
  BOOST_TEST(history[1]["status"] == "success", history[1].dump());
  BOOST_TEST(history[1]["resumed"] == true, history[1].dump());
  auto records = hubspot.records();
  BOOST_TEST(records.size() == 1000u);
  for (const auto& r : records)
    BOOST_TEST(r["creations"] == 1);
}

BOOST_FIXTURE_TEST_CASE(syncs_of_one_account_share_its_rate_limit_and_daily_quota, serve_fixture) {
  // Two PostgreSQL models, 30 contacts each, one request per contact, into one HubSpot account
  // that allows 40 requests per 10 s and 50 a day. Separate limiters would send 60 requests, 20
  // per second at first, and draw 429s; shared ones send exactly 50, none refused.
  constexpr int per_10s = 40;
  constexpr int daily = 50;
  emulator_process hubspot{"hubspot", {"--per-10s", std::to_string(per_10s), "--daily", "0"}};
  auto leads = postgres_contacts();
  auto customers = postgres_contacts();
  leads->insert(0, 30);
  customers->insert(1000, 1030);
  std::vector<std::string> files;
  for (auto [name, model] : {std::pair{"leads", leads.get()}, std::pair{"customers", customers.get()}}) {
    auto sync = hubspot_sync(*model, hubspot.url());
    sync["name"] = name;
    sync["schedule"] = every("1s");
    sync["destination"]["batch_size"] = 1;
    sync["destination"]["rate_limit"] = {{"per_10s", per_10s}, {"daily", daily}, {"budget", 1.0}};
    files.push_back(add_sync(sync, std::string(name) + ".json"));
  }
  start();
  BOOST_REQUIRE(eventually([&] { return hubspot.requests()["count"].get<int>() >= daily; }, 40s));
  std::this_thread::sleep_for(3s);  // three more slots of each sync: none may call
  auto metrics = http_get(api + "/metrics").body;
  stop();

  auto requests = hubspot.requests();
  BOOST_TEST(requests["count"].get<int>() == daily, requests.dump());
  for (auto& [endpoint, stats] : requests["by_endpoint"].items())
    BOOST_TEST(stats["status"].value("429", 0) == 0, endpoint << ": " << stats.dump());
  BOOST_TEST(hubspot.records().size() == static_cast<size_t>(daily));
  // Both syncs got a share, and their runs account for every call and every record.
  int64_t calls = 0, delivered = 0;
  bool told = false;
  for (const auto& file : files) {
    auto history = runs(file);
    BOOST_REQUIRE(!history.empty());
    int64_t sync_delivered = 0;
    for (const auto& r : history) {
      calls += r["api_calls"].get<int64_t>();
      sync_delivered += r["counts"]["delivered"].get<int64_t>();
      told = told || r.value("error", "").find("daily request budget of 50 is used up") !=
                         std::string::npos;
    }
    BOOST_TEST(sync_delivered > 0, file << " was starved");
    delivered += sync_delivered;
    check_runs_never_overlap(history);
  }
  BOOST_TEST(calls == daily);
  BOOST_TEST(delivered == daily);
  BOOST_TEST(told, "no run said the daily budget was spent");
  BOOST_TEST(metrics.find("backflow_quota_used{account=\"hubspot:") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("\"} 50\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("backflow_quota_remaining{account=\"hubspot:") != std::string::npos);
  // Queued behind each other at 4 requests a second, the syncs' requests waited for the limiter.
  for (const char* name : {"leads", "customers"}) {
    auto series = std::string("backflow_rate_limit_wait_seconds_total{sync=\"") + name + "\"} ";
    auto at = metrics.find(series);
    BOOST_REQUIRE(at != std::string::npos);
    BOOST_TEST(std::stod(metrics.substr(at + series.size())) > 0.5, series);
  }
}

BOOST_FIXTURE_TEST_CASE(sync_files_added_or_removed_while_serving_are_picked_up_on_sighup_and_by_polling,
                        serve_fixture) {
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(0, 5);
  auto first = webhook_sync(*model, webhook.url("/hooks/a"), secret);
  first["name"] = "first";
  first["schedule"] = every("1h");
  auto first_file = add_sync(first, "first.json");
  start({"--poll-interval", "1h"});  // only SIGHUP reloads, until the restart below
  BOOST_TEST(eventually([&] { return runs(first_file).size() == 1; }, 10s));

  auto second = webhook_sync(*model, webhook.url("/hooks/b"), secret);
  second["name"] = "second";
  second["schedule"] = every("1h");
  auto second_file = add_sync(second, "second.json");
  std::filesystem::remove(first_file);
  serve->signal(SIGHUP);
  BOOST_TEST(eventually([&] { return runs(second_file).size() == 1; }, 10s));
  auto listed = http_get(api + "/syncs").json();
  BOOST_REQUIRE_EQUAL(listed["syncs"].size(), 1u);
  BOOST_TEST(listed["syncs"][0]["name"] == "second");
  stop();

  // Polling the directory: a file added without a signal is picked up.
  start({"--poll-interval", "300ms"});
  auto third = webhook_sync(*model, webhook.url("/hooks/c"), secret);
  third["name"] = "third";
  third["schedule"] = every("1h");
  auto third_file = add_sync(third, "third.json");
  BOOST_TEST(eventually([&] { return runs(third_file).size() == 1; }, 10s));
  stop();
  BOOST_TEST(backflow.run({"serve", "--syncs", syncs_dir, "--poll-interval", "5ms"}).exit_code == 2);
}

BOOST_FIXTURE_TEST_CASE(a_paused_sync_does_not_run_until_resumed_and_metrics_match_the_runs,
                        serve_fixture) {
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(0, 10);
  auto sync = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
  sync["schedule"] = every("1s");
  auto file = add_sync(sync, "webhook.json");
  start();
  BOOST_REQUIRE(eventually([&] { return runs(file).size() >= 1; }, 10s));
  auto paused = http_call("POST", api + "/syncs/contacts_to_webhook/pause");
  BOOST_TEST(paused.status == 200, paused.body);
  std::this_thread::sleep_for(1500ms);  // let a run that was already going finish
  auto before = runs(file).size();
  std::this_thread::sleep_for(3s);  // three slots pass
  BOOST_TEST(runs(file).size() == before, "a paused sync ran");
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/run").status == 409);
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/resume").status == 200);
  BOOST_TEST(eventually([&] { return runs(file).size() > before; }, 10s));
  // Paused again and settled: the metrics count exactly the runs the history holds.
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/pause").status == 200);
  std::this_thread::sleep_for(1500ms);
  auto history = runs(file);
  auto metrics = http_get(api + "/metrics").body;
  auto series = "backflow_runs_total{sync=\"contacts_to_webhook\",status=\"success\"} " +
                std::to_string(history.size()) + "\n";
  BOOST_TEST(metrics.find(series) != std::string::npos, series << " not in\n" << metrics);
  for (const auto& r : history)
    BOOST_TEST(r["status"] == "success");
  stop();
  BOOST_TEST(webhook.records().size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(a_pause_the_destination_asked_for_shows_in_syncs_and_unpause_lifts_it,
                        serve_fixture) {
  // A bogus Retry-After of a year: capped (an hour for a webhook), shown, and lifted on demand.
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(0, 10);
  auto sync = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
  sync["schedule"] = json{{"manual", true}};
  auto file = add_sync(sync, "webhook.json");
  webhook.fault({{"match", {{"method", "POST"}}}, {"status", 429},
                 {"headers", {{"Retry-After", "31536000"}}}});
  start();
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/run").status == 202);
  BOOST_REQUIRE(eventually([&] { return runs(file).size() >= 1; }, 10s));
  auto listed = json::parse(http_get(api + "/syncs").body)["syncs"][0];
  BOOST_REQUIRE_MESSAGE(listed["account_paused_until"].is_string(), listed.dump());
  auto until = listed["account_paused_until"].get<std::string>();
  std::tm tm{};
  strptime(until.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  auto now = std::time(nullptr);
  BOOST_TEST(timegm(&tm) <= now + 3700, until);
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/unpause").status == 200);
  BOOST_TEST(json::parse(http_get(api + "/syncs").body)["syncs"][0]["account_paused_until"].is_null());
  BOOST_TEST(http_call("POST", api + "/syncs/contacts_to_webhook/run").status == 202);
  BOOST_REQUIRE(eventually([&] { return runs(file).size() >= 2; }, 10s));
  BOOST_TEST(runs(file).back()["status"] == "success", runs(file).back().dump());
  stop();
  BOOST_TEST(webhook.records().size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(run_history_is_bounded_by_keep_runs, serve_fixture) {
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(0, 3);
  auto sync = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
  sync["schedule"] = every("1s");
  auto file = add_sync(sync, "webhook.json");
  start({"--keep-runs", "2"});
  auto finished = [&] {
    auto metrics = http_get(api + "/metrics").body;
    auto series = std::string("backflow_runs_total{sync=\"contacts_to_webhook\",status=\"success\"} ");
    auto at = metrics.find(series);
    return at == std::string::npos ? 0 : std::stoi(metrics.substr(at + series.size()));
  };
  BOOST_REQUIRE(eventually([&] { return finished() >= 5; }, 20s));
  auto over_http = http_get(api + "/syncs/contacts_to_webhook/runs").json();
  stop(SIGINT);  // Ctrl-C stops as gracefully as SIGTERM
  auto history = runs(file);
  BOOST_REQUIRE_EQUAL(history.size(), 2u);
  // The newest two are kept: their ids are the highest, one apart.
  auto newest = history[1]["run_id"].get<uint64_t>();
  BOOST_TEST(newest >= 5u);
  BOOST_TEST(history[0]["run_id"].get<uint64_t>() == newest - 1);
  BOOST_TEST(over_http.dump().size() > 2u);
  BOOST_TEST(over_http["runs"].size() <= 3u, over_http.dump());  // 2 kept (+1 finishing meanwhile)
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_serve
