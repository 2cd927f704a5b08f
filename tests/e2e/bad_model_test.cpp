// End to end: a model that goes bad after a good run is stopped before the first request
// (exit 3), with errors naming rows and columns, and the state is left as it was; a model that
// fails mid-stream, on every registered source, sends nothing (no deletes).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>

#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/conformance/source_adapter.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_bad_model)

using namespace backflow::testing;
using nlohmann::json;

namespace {

constexpr int rows = 200;
const std::string good_view =
    "CREATE VIEW model AS SELECT email, first_name, score, tier FROM contacts";

/// A HubSpot sync over a view of the contacts table, synced once while the model was good.
struct synced_model {
  temp_dir dir;
  std::unique_ptr<contacts_model> contacts = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  std::string sync;

  explicit synced_model(const json& guards = json::object()) {
    contacts->insert(0, rows);
    contacts->exec(good_view);
    auto s = hubspot_sync(*contacts, hubspot.url());
    s["source"]["query"] = "SELECT * FROM model";  // a model read whole: columns can vanish
    if (!guards.empty())
      s["guards"] = guards;
    sync = write_sync(dir, s);
    auto first = backflow.run_sync(sync);
    BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  }

  /// Redefines the view (the model "changes" under the sync).
  void model_as(const std::string& select, const std::string& where = "1") {
    contacts->exec("DROP VIEW model");
    contacts->exec("CREATE VIEW model AS SELECT " + select + " FROM contacts WHERE " + where);
  }
  void restore() {
    contacts->exec("DROP VIEW model");
    contacts->exec(good_view);
  }
  int64_t requests() { return hubspot.requests()["count"].get<int64_t>(); }
};

std::string problems_of(const cli::run_result& r) {
  std::string all;
  for (const auto& p : r.summary["problems"])
    all += p.get<std::string>() + "\n";
  return all;
}

/// Runs the sync on the bad model: exit 3, nothing sent, each of `named` in the problems; then,
/// with the model restored, a run finds nothing to do (the state was not touched).
void expect_refused(synced_model& m, const std::vector<std::string>& named) {
  auto before = m.requests();
  auto run = m.backflow.run_sync(m.sync);
  BOOST_TEST(run.process.exit_code == 3, run.process.out << run.process.err);
  BOOST_TEST(run.summary["status"] == "aborted");
  BOOST_TEST(run.summary["api_calls"] == 0);
  BOOST_TEST(m.requests() == before, "the destination was contacted");
  auto problems = problems_of(run);
  for (const auto& n : named)
    BOOST_TEST(problems.find(n) != std::string::npos, "\"" << n << "\" not in:\n" << problems);
  m.restore();
  auto after = m.backflow.run_sync(m.sync);
  BOOST_TEST(after.process.exit_code == 0, after.process.out << after.process.err);
  BOOST_TEST(after.summary["api_calls"] == 0);
  BOOST_TEST(after.summary["counts"]["unchanged"] == rows);
}

}  // namespace

BOOST_AUTO_TEST_CASE(null_keys_are_named_by_row) {
  synced_model m;
  m.model_as("CASE WHEN email = 'user7@example.com' THEN NULL ELSE email END AS email, "
             "first_name, score, tier");
  expect_refused(m, {"null or empty key (email)"});
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_named) {
  synced_model m;
  m.model_as("CASE WHEN email = 'user8@example.com' THEN 'user9@example.com' ELSE email END "
             "AS email, first_name, score, tier");
  expect_refused(m, {"repeat a key (email)", "\"user9@example.com\""});
}

BOOST_AUTO_TEST_CASE(a_model_that_suddenly_returns_no_rows) {
  synced_model m;
  m.model_as("email, first_name, score, tier", "0");
  expect_refused(m, {"the model returned no rows, after 200"});
}

BOOST_AUTO_TEST_CASE(min_rows) {
  synced_model m{{{"min_rows", 150}}};
  m.model_as("email, first_name, score, tier", "rowid <= 100");
  expect_refused(m, {"guards.min_rows: the model returned 100 rows, fewer than 150"});
}

BOOST_AUTO_TEST_CASE(max_row_drop_ratio) {
  synced_model m{{{"max_row_drop_ratio", 0.2}}};
  m.model_as("email, first_name, score, tier", "rowid <= 140");
  expect_refused(m, {"guards.max_row_drop_ratio: the model returned 140 rows, 200 in run 1 "
                     "(30.0% fewer) exceeds 20.0%"});
}

BOOST_AUTO_TEST_CASE(a_drop_within_the_ratio_goes_through) {
  synced_model m{{{"max_row_drop_ratio", 0.2}}};
  m.model_as("email, first_name, score, tier", "rowid <= 180");
  auto run = m.backflow.run_sync(m.sync);
  BOOST_TEST(run.process.exit_code == 0, run.process.out << run.process.err);
}

BOOST_AUTO_TEST_CASE(a_column_that_vanished) {
  synced_model m;
  m.model_as("email, first_name, tier");
  expect_refused(m, {"column \"score\" vanished from the model: run 1 read it"});
}

BOOST_AUTO_TEST_CASE(a_column_that_changed_type) {
  synced_model m;
  m.model_as("email, first_name, CASE WHEN email = 'user5@example.com' THEN 'n/a' ELSE score END "
             "AS score, tier");
  expect_refused(m, {"column \"score\" changed type: it held number in run 1, now also text"});
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_named_by_row_and_column) {
  synced_model m;
  m.model_as("email, CASE WHEN email = 'user3@example.com' THEN CAST(x'4a6fff' AS TEXT) "
             "ELSE first_name END AS first_name, score, tier");
  expect_refused(m, {"row email=\"user3@example.com\", column first_name: the text is not valid UTF-8"});
}

BOOST_AUTO_TEST_CASE(a_very_long_value) {
  synced_model m;
  m.model_as("email, CASE WHEN email = 'user4@example.com' THEN hex(zeroblob(40000)) "
             "ELSE first_name END AS first_name, score, tier");
  expect_refused(m, {"row email=\"user4@example.com\", column first_name: 80000 bytes exceed "
                     "guards.max_value_bytes (65536)"});
}

BOOST_AUTO_TEST_CASE(infinite_numbers) {
  synced_model m;
  m.model_as("email, first_name, CASE WHEN email = 'user6@example.com' THEN 1e999 "
             "WHEN email = 'user2@example.com' THEN -1e999 ELSE score END AS score, tier");
  expect_refused(m, {"2 value(s) no destination should receive",
                     "row email=\"user2@example.com\", column score: an infinite number",
                     "row email=\"user6@example.com\", column score: an infinite number"});
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_at_once) {
  synced_model m;
  m.model_as("CASE WHEN email = 'user1@example.com' THEN NULL ELSE email END AS email, "
             "CASE WHEN email = 'user3@example.com' THEN CAST(x'ff' AS TEXT) ELSE first_name END "
             "AS first_name, CASE WHEN email = 'user6@example.com' THEN 1e999 ELSE score END AS "
             "score, tier");
  expect_refused(m, {"null or empty key", "column first_name: the text is not valid UTF-8",
                     "column score: an infinite number"});
}

namespace {

size_t deleted_records(emulator_process& webhook) {
  size_t n = 0;
  for (const auto& r : webhook.records())
    n += r["deleted"] == true ? 1 : 0;
  return n;
}

std::vector<std::string> adapted_sources() {
  std::vector<std::string> types;
  for (const auto& a : source_adapters())
    types.push_back(a.type);
  return types;
}

}  // namespace

// The model read whole once (mirror mode), then rows removed and the query made to fail on a
// late row: had the engine taken the rows it read for the whole model, it would delete every
// key it did not see. The run fails and the destination hears nothing. Then the freshness
// query on each source, and the complete read that sends the deletes.
BOOST_DATA_TEST_CASE(a_model_failing_mid_stream_sends_no_deletes,
                     boost::unit_test::data::make(adapted_sources()), type) {
  constexpr int model_rows = 5000;
  const source_adapter* a = nullptr;
  for (const auto& candidate : source_adapters())
    if (candidate.type == type)
      a = &candidate;
  BOOST_REQUIRE(a != nullptr);
  temp_dir dir;
  auto warehouse = a->open(dir);
  for (const auto& sql : a->create_contacts(model_rows))
    warehouse->exec(sql);
  const std::string secret = "whsec_bWlkLXN0cmVhbS1zZWNyZXQ=";
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  json sync = {
      {"name", "mid_stream_" + type},
      {"source", source_object(*a, *warehouse,
                               "SELECT email, first_name, score, tier FROM contacts", "email")},
      {"destination",
       {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/backflow")}, {"secret", secret},
        {"batch_size", 1000}}},
      {"mode", "mirror"},
      {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "200ms"}, {"max_attempts", 2}}}};
  auto first = backflow.run_sync(write_sync(dir, sync));
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_REQUIRE_EQUAL(webhook.records().size(), static_cast<size_t>(model_rows));
  auto requests_before = webhook.requests()["count"].get<int64_t>();

  warehouse->exec("DELETE FROM contacts WHERE n <= 10");
  sync["source"]["query"] = a->failing_query(4000);
  warehouse->fail_late_read(4000);
  auto failed = backflow.run_sync(write_sync(dir, sync));
  // Incomplete (exit 4): the read failed; the next run reads the model again.
  BOOST_TEST(failed.process.exit_code == 4, failed.process.out << failed.process.err);
  BOOST_TEST(failed.summary["status"] == "incomplete", failed.process.out);
  BOOST_TEST(webhook.requests()["count"].get<int64_t>() == requests_before,
             type << ": the failed run sent requests: " << failed.process.out);
  BOOST_TEST(webhook.records().size() == static_cast<size_t>(model_rows));
  BOOST_TEST(deleted_records(webhook) == 0u);

  // The freshness query runs on the same source: a newest value from 2020 is stale (exit 5,
  // nothing sent); accepted as fresh, the complete read sends exactly the 10 deletes.
  sync["source"]["query"] = "SELECT email, first_name, score, tier FROM contacts";
  sync["freshness"] = {{"query", "SELECT '2020-01-01 00:00:00' AS newest"}, {"max_age", "1h"}};
  auto stale = backflow.run_sync(write_sync(dir, sync));
  BOOST_TEST(stale.process.exit_code == 5, stale.process.out << stale.process.err);
  BOOST_TEST(webhook.requests()["count"].get<int64_t>() == requests_before);
  sync["freshness"]["max_age"] = 1e9;
  auto complete = backflow.run_sync(write_sync(dir, sync));
  BOOST_TEST(complete.process.exit_code == 0, complete.process.out << complete.process.err);
  BOOST_TEST(complete.summary["counts"]["deleted"] == 10, complete.process.out);
  BOOST_TEST(deleted_records(webhook) == 10u);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_bad_model
