// End to end: a Meta Custom Audience maintained from a model: hashed members, sessions,
// Meta's invalid-entry report, and throttling that pauses the account.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_meta_audience)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string audience = "23850000000000001";

struct meta_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process meta;
  cli backflow{dir.file("state"), {}};

  explicit meta_fixture(std::vector<std::string> args = {}) : meta("meta", args) {}

  std::string sync_file(int batch_size = 10000) {
    return write_sync(dir, {{"name", "members_to_meta"},
                            {"source", model->source()},
                            {"destination",
                             {{"type", "meta_audience"},
                              {"endpoint", meta.url()},
                              {"token", "emulator-token"},
                              {"audience_id", audience},
                              {"batch_size", batch_size}}},
                            {"mode", "audience"},
                            {"mapping", {{{"from", "email"}, {"to", "EMAIL"}}}},
                            {"delivery", {{"retry_initial", "20ms"}}}});
  }
  json audience_records() { return meta.control_get("records")["audiences"][audience]; }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(members_arrive_hashed_in_one_session_and_leave_with_the_model,
                        meta_fixture) {
  model->insert(0, 2500);
  auto sync = sync_file(1000);
  auto run = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0, run.process.out << run.process.err);
  BOOST_TEST(run.summary["api_calls"] == 3);
  auto members = audience_records();
  BOOST_TEST(members["size"] == 2500);
  bool found = false;
  for (auto& m : members["members"])
    found = found || m["identity"]["EMAIL"] == backflow::sha256_hex(email_of(42));
  BOOST_TEST(found);
  // One session for the run's adds: batches 1..3, the last one flagged, the total announced.
  auto sessions = meta.control_get("sessions")["sessions"];
  BOOST_REQUIRE(sessions.size() == 1u);
  BOOST_TEST(sessions[0]["batch_seqs"] == json::array({1, 2, 3}));
  BOOST_TEST(sessions[0]["last_batch_seen"] == true);
  BOOST_TEST(sessions[0]["estimated_num_total"] == 2500);
  BOOST_TEST(sessions[0]["rows"] == 2500);

  model->remove({1, 2, 3});
  auto removal = backflow.run_sync(sync);
  BOOST_REQUIRE_EQUAL(removal.process.exit_code, 0);
  BOOST_TEST(removal.summary["counts"]["deleted"] == 3);
  BOOST_TEST(audience_records()["size"] == 2497);
}

BOOST_FIXTURE_TEST_CASE(metas_invalid_entries_are_reported_in_the_summary, meta_fixture) {
  model->insert(0, 10);
  meta.fault({{"match", {{"path_contains", "/users"}}},
              {"status", 200},
              {"body", json{{"audience_id", audience},
                            {"num_received", 10},
                            {"num_invalid_entries", 2},
                            {"invalid_entry_samples", {{"abc", "Invalid email hash"}}}}}});
  auto run = backflow.run_sync(sync_file());
  BOOST_REQUIRE_EQUAL(run.process.exit_code, 0);
  BOOST_TEST(run.summary["destination"]["num_invalid_entries"] == 2);
  BOOST_TEST(run.summary["destination"]["samples"][0] == "abc: Invalid email hash");
}

BOOST_AUTO_TEST_CASE(throttling_pauses_the_account_until_meta_allows_calls_again) {
  meta_fixture f({"--hourly", "2"});
  f.model->insert(0, 30);
  auto sync = f.sync_file(10);
  auto run = f.backflow.run_sync(sync);
  BOOST_TEST(run.process.exit_code == 4);
  BOOST_TEST(run.summary["counts"]["delivered"] == 20);
  BOOST_TEST(run.summary["error"].get<std::string>().find("80003") != std::string::npos);
  auto calls = f.meta.requests()["count"].get<int>();
  auto again = f.backflow.run_sync(sync);  // still paused: not even one call
  BOOST_TEST(again.process.exit_code == 4);
  BOOST_TEST(f.meta.requests()["count"].get<int>() == calls);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_meta_audience
