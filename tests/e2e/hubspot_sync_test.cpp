// End to end: the real backflow binary syncs a SQLite model into the HubSpot emulator.
#include <boost/test/unit_test.hpp>

#include <set>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_hubspot_sync)

using namespace backflow::testing;
using nlohmann::json;

namespace {

/// A SQLite contacts model, a HubSpot emulator without rate limits, and a state directory.
struct hubspot_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};

  std::string sync_file(const std::string& mode = "upsert", const json& extra = json::object()) {
    auto sync = hubspot_sync(*model, hubspot.url(), mode);
    sync.merge_patch(extra);
    return write_sync(dir, sync);
  }
  int64_t requests() { return hubspot.requests()["count"].get<int64_t>(); }
  int64_t inputs() { return hubspot.requests()["inputs"].get<int64_t>(); }
  /// Live (not archived) records by email.
  std::map<std::string, json> live_records() {
    std::map<std::string, json> out;
    for (auto& r : hubspot.records())
      if (!r["archived"].get<bool>())
        out[r["properties"]["email"].get<std::string>()] = r;
    return out;
  }
};

void require_exit(const cli::run_result& r, int code) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code, "exit " << r.process.exit_code << " (want "
                                                             << code << ")\nstdout: " << r.process.out
                                                             << "\nstderr: " << r.process.err);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(first_run_sends_everything_then_unchanged_rerun_makes_no_calls,
                        hubspot_fixture) {
  model->insert(0, 1000);
  auto sync = sync_file();
  auto first = backflow.run_sync(sync);
  require_exit(first, 0);
  BOOST_TEST(first.summary["status"] == "success");
  BOOST_TEST(first.summary["counts"]["added"] == 1000);
  BOOST_TEST(first.summary["counts"]["delivered"] == 1000);
  BOOST_TEST(first.summary["api_calls"] == 10);  // 100 inputs per request
  auto records = live_records();
  BOOST_TEST(records.size() == 1000u);
  BOOST_TEST(records[email_of(7)]["properties"]["score"] == "7");
  BOOST_TEST(records[email_of(7)]["properties"]["firstname"] == "User 7");

  auto calls_before = requests();
  auto second = backflow.run_sync(sync);
  require_exit(second, 0);
  BOOST_TEST(second.summary["counts"]["unchanged"] == 1000);
  BOOST_TEST(second.summary["api_calls"] == 0);
  BOOST_TEST(requests() == calls_before);
}

BOOST_FIXTURE_TEST_CASE(after_one_percent_changes_exactly_those_are_sent, hubspot_fixture) {
  model->insert(0, 2000);
  auto sync = sync_file();
  require_exit(backflow.run_sync(sync), 0);
  std::vector<int> changed;
  for (int i = 0; i < 2000; i += 100)
    changed.push_back(i);  // 20 rows = 1%
  model->bump_scores(changed, 1000);
  auto inputs_before = inputs();
  auto run = backflow.run_sync(sync);
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["changed"] == 20);
  BOOST_TEST(run.summary["counts"]["unchanged"] == 1980);
  BOOST_TEST(run.summary["counts"]["delivered"] == 20);
  BOOST_TEST(inputs() - inputs_before == 20);
  auto records = live_records();
  for (int i : changed)
    BOOST_TEST(records[email_of(i)]["properties"]["score"] == std::to_string(i % 100 + 1000));
  BOOST_TEST(records[email_of(1)]["properties"]["score"] == "1");
}

BOOST_FIXTURE_TEST_CASE(mirror_archives_rows_that_left_the_model, hubspot_fixture) {
  model->insert(0, 500);
  auto sync = sync_file("mirror");
  require_exit(backflow.run_sync(sync), 0);
  model->remove({3, 30, 300});
  auto run = backflow.run_sync(sync);
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["deleted"] == 3);
  BOOST_TEST(run.summary["counts"]["delivered"] == 3);
  BOOST_TEST(run.summary["api_calls"] == 1);
  auto by_endpoint = hubspot.requests()["by_endpoint"];
  BOOST_TEST(by_endpoint["POST /crm/v3/objects/contacts/batch/archive"]["inputs"] == 3);
  auto live = live_records();
  BOOST_TEST(live.size() == 497u);
  BOOST_TEST(live.count(email_of(30)) == 0u);
  // The archive used the HubSpot ids kept from the upsert results.
  size_t archived = 0;
  for (auto& r : hubspot.records())
    if (r["archived"].get<bool>()) {
      ++archived;
      auto email = r["properties"]["email"].get<std::string>();
      BOOST_TEST((email == email_of(3) || email == email_of(30) || email == email_of(300)));
    }
  BOOST_TEST(archived == 3u);
  // Upsert mode would have forgotten them instead: nothing more is sent on the next run.
  auto again = backflow.run_sync(sync);
  BOOST_TEST(again.summary["api_calls"] == 0);
}

BOOST_FIXTURE_TEST_CASE(rate_limit_and_server_errors_are_retried_and_nothing_is_lost,
                        hubspot_fixture) {
  model->insert(0, 1000);
  json match = {{"method", "POST"}, {"path_contains", "batch/upsert"}};
  hubspot.fault({{"match", match},
                 {"nth", 2},
                 {"status", 429},
                 {"headers", {{"Retry-After", "1"}}},
                 {"body", json{{"status", "error"}, {"errorType", "RATE_LIMIT"},
                               {"policyName", "TEN_SECONDLY_ROLLING"}}}});
  hubspot.fault({{"match", match}, {"nth", 4}, {"count", 3}, {"status", 503}});
  hubspot.fault({{"match", match}, {"nth", 8}, {"status", 502}});
  auto run = backflow.run_sync(sync_file());
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == 1000);
  BOOST_TEST(run.summary["counts"]["retried"].get<int>() >= 500);  // 5 batches of 100 retried
  BOOST_TEST(run.summary["api_calls"] == 15);
  BOOST_TEST(run.summary["duration_ms"].get<int>() >= 1000);  // Retry-After: 1 was honoured
  auto live = live_records();
  BOOST_TEST(live.size() == 1000u);
  for (const auto& [email, r] : live)
    BOOST_TEST(r["creations"] == 1);
}

BOOST_FIXTURE_TEST_CASE(one_invalid_email_in_a_batch_rejects_exactly_that_record,
                        hubspot_fixture) {
  model->insert(0, 99);
  model->exec("INSERT INTO contacts VALUES ('not-an-email', 'Broken', 1, 'gold')");
  auto run = backflow.run_sync(sync_file());
  require_exit(run, 1);  // finished with rejected records
  BOOST_TEST(run.summary["status"] == "partial");
  BOOST_TEST(run.summary["counts"]["delivered"] == 99);
  BOOST_TEST(run.summary["counts"]["rejected"] == 1);
  BOOST_TEST(run.summary["splits"].get<int>() >= 1);
  BOOST_REQUIRE(run.summary["rejected"].size() == 1u);
  BOOST_TEST(run.summary["rejected"][0]["key"] == "not-an-email");
  auto reason = run.summary["rejected"][0]["reason"].get<std::string>();
  BOOST_TEST(reason.find("INVALID_EMAIL") != std::string::npos);
  BOOST_TEST(live_records().size() == 99u);
  // The rejected row is not re-sent while it stays as it is.
  auto calls = requests();
  auto again = backflow.run_sync(sync_file());
  require_exit(again, 0);
  BOOST_TEST(again.summary["counts"]["unchanged_rejected"] == 1);
  BOOST_TEST(requests() == calls);
}

BOOST_FIXTURE_TEST_CASE(a_guard_aborts_before_anything_is_sent, hubspot_fixture) {
  model->insert(0, 200);
  auto sync = sync_file("mirror", {{"guards", {{"max_deleted_ratio", 0.05}}}});
  require_exit(backflow.run_sync(sync), 0);
  std::vector<int> gone;
  for (int i = 0; i < 20; ++i)
    gone.push_back(i);  // 10% disappear
  model->remove(gone);
  auto calls = requests();
  auto run = backflow.run_sync(sync);
  require_exit(run, 3);
  BOOST_TEST(run.summary["status"] == "aborted");
  auto problems = run.summary["problems"].dump();
  BOOST_TEST(problems.find("guards.max_deleted_ratio") != std::string::npos);
  BOOST_TEST(requests() == calls);
  BOOST_TEST(live_records().size() == 200u);
  // State is untouched: the same plan is found again.
  auto plan = backflow.run({"plan", sync, "--state", backflow.state_dir, "--json"});
  auto planned = json::parse(plan.out);
  BOOST_TEST(planned["counts"]["deleted"] == 20);
}

BOOST_FIXTURE_TEST_CASE(null_and_duplicate_keys_abort_and_name_the_rows, hubspot_fixture) {
  model->insert(0, 50);
  model->exec("INSERT INTO contacts VALUES (NULL, 'No Key', 1, 'gold')");
  model->exec("INSERT INTO contacts VALUES ('USER7@example.com ', 'Twice', 1, 'gold')");
  auto run = backflow.run_sync(sync_file());
  require_exit(run, 3);
  auto problems = run.summary["problems"].dump();
  BOOST_TEST(problems.find("row numbers: 51") != std::string::npos);
  BOOST_TEST(problems.find("user7@example.com") != std::string::npos);
  BOOST_TEST(requests() == 0);
}

BOOST_FIXTURE_TEST_CASE(destination_down_then_back_resumes_without_loss, hubspot_fixture) {
  model->insert(0, 300);
  auto sync = sync_file("upsert", {{"delivery", {{"max_attempts", 2}, {"retry_initial", "10ms"}}}});
  hubspot.fault({{"match", {{"path_contains", "batch/upsert"}}}, {"count", 1000}, {"status", 503}});
  auto down = backflow.run_sync(sync);
  require_exit(down, 4);
  BOOST_TEST(down.summary["status"] == "incomplete");
  BOOST_TEST(down.summary["counts"]["failed"] == 300);
  hubspot.control_post("reset");
  auto resumed = backflow.run_sync(sync);
  require_exit(resumed, 0);
  BOOST_TEST(resumed.summary["resumed"] == true);
  BOOST_TEST(resumed.summary["counts"]["delivered"] == 300);
  BOOST_TEST(live_records().size() == 300u);
}

BOOST_FIXTURE_TEST_CASE(expired_token_stops_the_run_and_keeps_state, hubspot_fixture) {
  model->insert(0, 500);
  auto sync = sync_file();
  hubspot.fault({{"match", {{"path_contains", "batch/upsert"}}},
                 {"nth", 3},
                 {"count", 100},
                 {"status", 401},
                 {"body", json{{"status", "error"}, {"category", "EXPIRED_AUTHENTICATION"},
                               {"message", "The OAuth token used to make this call expired"}}}});
  auto run = backflow.run_sync(sync);
  require_exit(run, 4);
  BOOST_TEST(run.summary["error"].get<std::string>().find("EXPIRED_AUTHENTICATION") !=
             std::string::npos);
  auto delivered = run.summary["counts"]["delivered"].get<int>();
  BOOST_TEST(delivered >= 200);
  BOOST_TEST(delivered < 500);
  BOOST_TEST(run.summary["counts"]["rejected"] == 0);  // nothing blamed on the records
  http_call("DELETE", hubspot.url("/__emulator/faults"));  // the token works again
  auto resumed = backflow.run_sync(sync);
  require_exit(resumed, 0);
  BOOST_TEST(resumed.summary["counts"]["delivered"] == 500 - delivered);
  BOOST_TEST(live_records().size() == 500u);
}

namespace {

/// Creates contacts directly in the emulator, as if they had been there before any sync.
void seed_contacts(emulator_process& hubspot, const std::vector<int>& rows) {
  std::vector<json> inputs;
  for (int i : rows)
    inputs.push_back({{"idProperty", "email"}, {"id", email_of(i)}, {"properties", {{"tier", "seed"}}}});
  auto r = http_post_json(hubspot.url("/crm/v3/objects/contacts/batch/upsert"), {{"inputs", inputs}},
                          {"Authorization: Bearer emulator-token"});
  BOOST_REQUIRE_EQUAL(r.status, 200);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(update_mode_updates_existing_records_and_rejects_missing_ones,
                        hubspot_fixture) {
  model->insert(0, 10);
  seed_contacts(hubspot, {0, 1, 2, 3, 4});
  auto run = backflow.run_sync(sync_file("update"));
  require_exit(run, 1);
  BOOST_TEST(run.summary["counts"]["delivered"] == 5);
  BOOST_TEST(run.summary["counts"]["rejected"] == 5);
  BOOST_TEST(run.summary["rejected"][0]["reason"].get<std::string>().find("OBJECT_NOT_FOUND") !=
             std::string::npos);
  auto live = live_records();
  BOOST_TEST(live.size() == 5u);  // nothing created
  BOOST_TEST(live[email_of(3)]["properties"]["tier"] == "gold");
}

BOOST_FIXTURE_TEST_CASE(insert_mode_creates_once_and_never_updates, hubspot_fixture) {
  model->insert(0, 10);
  seed_contacts(hubspot, {0});
  auto sync = sync_file("insert");
  auto run = backflow.run_sync(sync);
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == 10);  // the existing one counts as there
  auto live = live_records();
  BOOST_TEST(live.size() == 10u);
  BOOST_TEST(live[email_of(0)]["properties"]["tier"] == "seed");  // not overwritten
  for (const auto& [email, r] : live)
    BOOST_TEST(r["creations"] == 1);
  model->bump_scores({5}, 1);
  auto calls = requests();
  auto again = backflow.run_sync(sync);
  require_exit(again, 0);
  // The change is counted but not planned: the destination keeps its version (and a later
  // upsert run still sees that it differs). So is the seeded contact, whose record the create
  // found already there: it holds another version than the model's.
  BOOST_TEST(again.summary["counts"]["not_updated"] == 2);
  BOOST_TEST(again.summary["counts"]["changed"] == 0);
  BOOST_TEST(requests() == calls);
}

// -- insert mode: a create whose outcome is unknown is looked up, never sent blindly ----------

namespace {

/// Runs an insert-mode sync of 300 rows whose second create request meets `fault`, and checks
/// that every contact exists exactly once and that no create ever met an existing contact.
json insert_through_fault(hubspot_fixture& f, const json& fault) {
  f.model->insert(0, 300);
  json create = {{"method", "POST"}, {"path_contains", "batch/create"}};
  auto spec = fault;
  spec["match"] = create;
  spec["nth"] = 2;
  f.hubspot.fault(spec);
  auto run = f.backflow.run_sync(f.sync_file("insert", {{"delivery", {{"concurrency", 1}}}}));
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == 300);
  auto live = f.live_records();
  BOOST_TEST(live.size() == 300u);
  for (const auto& [email, r] : live)
    BOOST_TEST(r["creations"] == 1, email);
  auto by_endpoint = f.hubspot.requests()["by_endpoint"];
  BOOST_TEST(by_endpoint["POST /crm/v3/objects/contacts/batch/read"]["requests"] == 1);
  // No create met an existing contact (HubSpot answers those with 207 CONFLICT errors).
  BOOST_TEST(by_endpoint["POST /crm/v3/objects/contacts/batch/create"]["status"].count("207") == 0u);
  BOOST_TEST(by_endpoint["POST /crm/v3/objects/contacts/batch/read"]["inputs"] == 100);
  BOOST_TEST(run.summary["destination"]["creates_looked_up"] == 100);
  // Nothing to do afterwards: the ids found by the lookup were kept.
  auto again = f.backflow.run_sync(f.sync_file("insert"));
  BOOST_TEST(again.summary["api_calls"] == 0);
  return run.summary;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(insert_a_create_reset_after_it_landed_is_found_not_created_twice,
                        hubspot_fixture) {
  auto summary = insert_through_fault(*this, {{"drop", true}, {"apply", true}});
  BOOST_TEST(summary["destination"]["creates_found_existing"] == 100);
  // The 100 found were never sent again: 300 create inputs in all, the cut request included.
  BOOST_TEST(hubspot.requests()["by_endpoint"]["POST /crm/v3/objects/contacts/batch/create"]["inputs"] ==
             300);
}

BOOST_FIXTURE_TEST_CASE(insert_a_gateway_timeout_after_landing_is_found_not_created_twice,
                        hubspot_fixture) {
  auto summary = insert_through_fault(*this, {{"status", 504}, {"apply", true}});
  BOOST_TEST(summary["destination"]["creates_found_existing"] == 100);
}

BOOST_FIXTURE_TEST_CASE(insert_a_create_cut_before_it_landed_is_created_after_the_lookup,
                        hubspot_fixture) {
  auto summary = insert_through_fault(*this, {{"drop", true}});
  BOOST_TEST(summary["destination"]["creates_found_existing"] == 0);
  BOOST_TEST(hubspot.requests()["by_endpoint"]["POST /crm/v3/objects/contacts/batch/create"]["inputs"] ==
             400);  // the cut request was counted on arrival, then sent again after the lookup
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_hubspot_sync
