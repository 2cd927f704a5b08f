// End to end: the CLI's contract — exit codes, config errors with key paths, status and reset.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_cli)

using namespace backflow::testing;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(validate_reports_every_error_with_its_key_path_and_exits_2) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  auto sync = hubspot_sync(*model, "not a url");
  sync["destination"]["token"] = "${E2E_UNSET_TOKEN_VARIABLE}";
  sync["destination"]["colour"] = "blue";
  sync["mapping"][1]["transform"] = "shout";
  sync["mode"] = "audience";
  auto file = write_sync(dir, sync);
  cli backflow{dir.file("state"), {}};
  auto r = backflow.run({"validate", file});
  BOOST_TEST(r.exit_code == 2);
  for (const char* expected :
       {"destination.endpoint", "destination.token: environment variable E2E_UNSET_TOKEN_VARIABLE",
        "destination.colour: unknown key", "mapping[1].transform: unknown transform \"shout\"",
        "mode: hubspot does not support mode \"audience\""})
    BOOST_TEST(r.err.find(expected) != std::string::npos, "missing: " << expected << "\n" << r.err);
  // run refuses the same file with the same errors, before touching anything.
  auto run = backflow.run({"run", file, "--state", backflow.state_dir});
  BOOST_TEST(run.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(validate_checks_columns_against_the_model) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  auto sync = hubspot_sync(*model, "http://127.0.0.1:9");
  sync["mapping"][2]["from"] = "scroe";
  sync["source"]["key"] = "mail";
  auto r = cli{dir.file("state"), {}}.run({"validate", write_sync(dir, sync)});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("source.key: column \"mail\" is not returned by the query") !=
             std::string::npos);
  BOOST_TEST(r.err.find("mapping[2].from: column \"scroe\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_output) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  model->insert(0, 10);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--token", "s3cr3t-t0ken-value"}};
  auto sync = hubspot_sync(*model, hubspot.url());
  sync["destination"]["token"] = "${E2E_HUBSPOT_TOKEN}";
  auto file = write_sync(dir, sync);
  cli backflow{dir.file("state"), {{"E2E_HUBSPOT_TOKEN", "s3cr3t-t0ken-value"}}};
  auto validate = backflow.run({"validate", file, "--print"});
  BOOST_TEST(validate.exit_code == 0);
  BOOST_TEST(validate.out.find("***") != std::string::npos);
  auto run = backflow.run({"run", file, "--state", backflow.state_dir, "--json", "--log-level",
                           "debug"});
  BOOST_TEST(run.exit_code == 0);
  auto status = backflow.run({"status", "--state", backflow.state_dir, "--json"});
  for (const auto* text : {&validate.out, &validate.err, &run.out, &run.err, &status.out})
    BOOST_TEST(text->find("s3cr3t-t0ken-value") == std::string::npos);
  // Nor in the state files.
  auto data = read_file(backflow.state_dir + "/data.mdb");
  BOOST_TEST(data.find("s3cr3t-t0ken-value") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_runs_and_reset) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  model->insert(0, 120);
  emulator_process hubspot{"hubspot", {"--per-10s", "0"}};
  auto file = write_sync(dir, hubspot_sync(*model, hubspot.url()));
  cli backflow{dir.file("state"), {}};
  BOOST_REQUIRE_EQUAL(backflow.run_sync(file).process.exit_code, 0);
  BOOST_REQUIRE_EQUAL(backflow.run_sync(file).process.exit_code, 0);

  auto status = json::parse(backflow.run({"status", "--state", backflow.state_dir, "--json"}).out);
  BOOST_REQUIRE(status.size() == 1u);
  BOOST_TEST(status[0]["sync"] == "contacts_to_hubspot");
  BOOST_TEST(status[0]["synced_keys"] == 120);
  BOOST_TEST(status[0]["last_run"]["run_id"] == 2);

  auto runs = json::parse(backflow.run({"runs", file, "--state", backflow.state_dir, "--json"}).out);
  BOOST_REQUIRE(runs.size() == 2u);
  BOOST_TEST(runs[0]["run_id"] == 2);  // newest first
  BOOST_TEST(runs[1]["counts"]["delivered"] == 120);

  auto reset = backflow.run({"reset", file, "--state", backflow.state_dir});
  BOOST_TEST(reset.exit_code == 0);
  BOOST_TEST(reset.out.find("forgot 120 synced keys") != std::string::npos);
  auto full = backflow.run_sync(file);
  BOOST_TEST(full.summary["counts"]["added"] == 120);
  BOOST_TEST(full.summary["run_id"] == 3);  // run ids keep counting after a reset
  for (auto& r : hubspot.records())
    BOOST_TEST(r["creations"] == 1);  // upserts: a full resync creates nothing twice
}

BOOST_AUTO_TEST_CASE(plan_samples_cut_long_values) {
  // A sample of 5 rows once printed every value whole, whatever its size.
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  model->insert(0, 3);
  std::string long_name(5000, 'x');
  model->exec("UPDATE " + model->table() + " SET first_name = '" + long_name + "'");
  auto file = write_sync(dir, hubspot_sync(*model, "http://127.0.0.1:9"));
  cli backflow{dir.file("state"), {}};
  auto text = backflow.run({"plan", file, "--state", backflow.state_dir});
  BOOST_TEST(text.exit_code == 0, text.err);
  BOOST_TEST(text.out.find(long_name) == std::string::npos);
  BOOST_TEST(text.out.find("… (5000 bytes)") != std::string::npos, text.out.substr(0, 600));
  auto json_out = backflow.run({"plan", file, "--state", backflow.state_dir, "--json"});
  BOOST_TEST(json_out.out.find(long_name) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_command_and_missing_arguments_exit_2) {
  cli backflow{"/nonexistent", {}};
  BOOST_TEST(backflow.run({"frobnicate"}).exit_code == 2);
  BOOST_TEST(backflow.run({"run"}).exit_code == 2);
  BOOST_TEST(backflow.run({"run", "/nonexistent/sync.json"}).exit_code == 2);
  BOOST_TEST(backflow.run({"status", "--state", "/nonexistent"}).exit_code == 2);
  auto describe = backflow.run({"describe", "hubspot"});
  BOOST_TEST(describe.exit_code == 0);
  BOOST_TEST(describe.out.find("id_property") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(describe_lists_destinations_and_sources_with_their_options) {
  cli backflow{"/nonexistent", {}};
  auto all = backflow.run({"describe"});
  BOOST_TEST(all.exit_code == 0);
  auto at = [&all](const std::string& text) { return all.out.find(text); };
  // Destinations as before, then every source with the keys its type adds.
  BOOST_TEST(all.out.rfind("Destinations (backflow describe TYPE for their options):\n", 0) == 0u,
             all.out);
  BOOST_TEST(at("  webhook — any HTTP endpoint: signed JSON batches of upserts and deletes\n"
                "    modes: upsert mirror\n") != std::string::npos, all.out);
  auto sources = at("Sources (backflow describe TYPE for their options):\n");
  BOOST_REQUIRE_MESSAGE(sources != std::string::npos, all.out);
  BOOST_TEST(at("modes:") < sources);
  BOOST_TEST(at("  sqlite — ") > sources, all.out);
  BOOST_TEST(at("    options: path\n") > sources, all.out);
  BOOST_TEST(at("  postgres — ") > sources, all.out);
  BOOST_TEST(at("    options: dsn\n") > sources, all.out);

  auto pg = backflow.run({"describe", "postgres"});
  BOOST_TEST(pg.exit_code == 0, pg.err);
  for (const char* expected :
       {"source options:\ntype (string, required)\n    \"postgres\"\n", "query (string)",
        "key (string or list, required)", "dsn (string, required, secret)"})
    BOOST_TEST(pg.out.find(expected) != std::string::npos, expected << "\n" << pg.out);
  auto lite = backflow.run({"describe", "sqlite"});
  BOOST_TEST(lite.exit_code == 0, lite.err);
  BOOST_TEST(lite.out.find("path (string, required)\n    the SQLite database file, relative to "
                           "the sync file's directory") != std::string::npos, lite.out);
  BOOST_TEST(lite.out.find("dsn") == std::string::npos, lite.out);

  auto unknown = backflow.run({"describe", "oracle"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.err.find("unknown destination or source \"oracle\"") != std::string::npos,
             unknown.err);
}

namespace {

/// 500 contacts synced one request at a time to a HubSpot emulator that takes 200 ms per
/// request (about a second in all), with a run started in the background.
struct slow_run {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0", "--latency-ms", "200"}};
  cli backflow{dir.file("state"), {}};
  std::string sync;
  std::unique_ptr<background_process> first;

  slow_run() {
    model->insert(0, 500);
    auto slow = hubspot_sync(*model, hubspot.url());
    slow["delivery"]["concurrency"] = 1;
    sync = write_sync(dir, slow);
  }
  /// Starts the run and returns once its first request reached the emulator.
  void start() {
    first = std::make_unique<background_process>(std::vector<std::string>{
        binary_path("backflow"), "run", sync, "--state", backflow.state_dir, "--json"});
    while (hubspot.requests()["count"].get<int>() == 0 && first->running())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_second_run_of_the_same_sync_refuses_while_the_first_runs, slow_run) {
  start();
  auto second = backflow.run_sync(sync);
  BOOST_TEST(second.process.exit_code == 4);
  BOOST_TEST(second.summary["error"].get<std::string>().find(
                 "sync \"contacts_to_hubspot\" is already running (pid") == 0u,
             second.summary.dump());
  auto done = first->wait(std::chrono::seconds(30));
  BOOST_TEST(done.exit_code == 0, done.out << done.err);
  // The first run was not disturbed: every contact exists once, and the state agrees.
  auto records = hubspot.records();
  BOOST_TEST(records.size() == 500u);
  for (const auto& r : records)
    BOOST_TEST(r["creations"] == 1);
  BOOST_TEST(backflow.run_sync(sync).summary["api_calls"] == 0);
}

BOOST_FIXTURE_TEST_CASE(status_lists_a_sync_whose_first_run_was_killed, slow_run) {
  start();
  first->signal(SIGKILL);
  first->wait(std::chrono::seconds(10));
  auto status = json::parse(backflow.run({"status", "--state", backflow.state_dir, "--json"}).out);
  BOOST_REQUIRE_EQUAL(status.size(), 1u);
  BOOST_TEST(status[0]["sync"] == "contacts_to_hubspot");
  BOOST_TEST(status[0]["interrupted_run"] == 1);
  BOOST_TEST(status[0]["last_run"].is_null());
  auto text = backflow.run({"status", "--state", backflow.state_dir}).out;
  BOOST_TEST(text.find("run 1 interrupted with") != std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_cli
