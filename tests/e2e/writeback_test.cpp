// End to end: write-back of runs, record outcomes and destination ids into real SQLite files,
// through kill -9, a warehouse that cannot be opened, a repeated write-back and retention.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/writeback_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_writeback)

using namespace backflow::testing;
using namespace backflow::testing::writeback;
using nlohmann::json;

namespace {

/// Hostile keys: a separator and a backslash, Cyrillic with a quote, a comma and double quotes.
const std::string k1 = "k|1\\x";
const std::string k2 = "ключ'2";
const std::string k3 = "k,3 \"q\"";
const std::string k4 = "k4 ✓";

/// A SQLite model of leads keyed by `id`, synced to the webhook emulator in mirror mode.
struct sqlite_fixture {
  temp_dir dir;
  std::string warehouse = dir.file("warehouse.sqlite");
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  sqlite_fixture() {
    sqlite_exec(warehouse,
                "CREATE TABLE leads (id TEXT, name TEXT, big INTEGER, note TEXT);"
                "INSERT INTO leads VALUES ('k|1\\x', 'Zoë 𝒜', 9007199254740993, NULL),"
                " ('ключ''2', 'Ünï', -42, ''), ('k,3 \"q\"', 'plain', 0, 'x');");
  }
  json sync(const json& writeback) const {
    return {{"name", "leads_writeback"},
            {"source", {{"type", "sqlite"}, {"path", warehouse},
                        {"query", "SELECT id, name, big, note FROM leads"}, {"key", "id"}}},
            {"destination", {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/backflow")},
                             {"secret", secret}, {"batch_size", 50}}},
            {"mode", "mirror"},
            {"writeback", writeback},
            {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "1s"}}}};
  }
  std::string sync_file(const json& writeback = json::object()) {
    return write_sync(dir, sync(writeback));
  }
  size_t received() { return webhook.records().size(); }
};

const std::string records_sql =
    "SELECT run_id, key_hash, key, operation, outcome, reason, destination_id, fields FROM "
    "backflow_sync_records ORDER BY run_id, key";

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_tables_hold_exactly_each_runs_rows, sqlite_fixture) {
  auto file = sync_file();
  auto first = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  BOOST_TEST(first.summary["writeback"]["records"] == 3);

  // Written by hand from the model: one row per record, the fields as sent (exact integers,
  // NULL apart from empty), no destination id from a webhook.
  const std::string f1 = R"({"big":9007199254740993,"name":"Zoë 𝒜","note":null})";
  const std::string f2 = R"({"big":-42,"name":"Ünï","note":""})";
  const std::string f3 = R"({"big":0,"name":"plain","note":"x"})";
  table_rows expected = {
      {"1", hash(k3), k3, "added", "delivered", std::nullopt, std::nullopt, f3},
      {"1", hash(k1), k1, "added", "delivered", std::nullopt, std::nullopt, f1},
      {"1", hash(k2), k2, "added", "delivered", std::nullopt, std::nullopt, f2},
  };
  BOOST_TEST(sqlite_query(warehouse, records_sql) == expected,
             show(sqlite_query(warehouse, records_sql)));
  auto runs = sqlite_query(warehouse,
                           "SELECT sync, run_id, status, extracted, added, changed, deleted, "
                           "delivered, rejected, api_calls, error, started_at IS NOT NULL, "
                           "finished_at >= started_at FROM backflow_sync_runs");
  BOOST_TEST(runs == (table_rows{{"leads_writeback", "1", "success", "3", "3", "0", "0", "3", "0",
                                  "1", std::nullopt, "1", "1"}}));

  // The second run appends only its own rows: a change, a delete, an add.
  sqlite_exec(warehouse, "UPDATE leads SET name = 'Zoë B' WHERE id = 'k|1\\x';"
                         "DELETE FROM leads WHERE id = 'k,3 \"q\"';"
                         "INSERT INTO leads VALUES ('k4 ✓', '四', 18446744073, 'n');");
  auto second = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(second.process.exit_code == 0, second.process.out << second.process.err);
  BOOST_TEST(second.summary["writeback"]["records"] == 3);
  BOOST_TEST(second.summary["writeback"]["runs"] == 1);
  // In SQLite's byte order of keys: "k,3" < "k4" < "k|1".
  expected.push_back({"2", hash(k3), k3, "deleted", "delivered", std::nullopt, std::nullopt,
                      std::nullopt});
  expected.push_back({"2", hash(k4), k4, "added", "delivered", std::nullopt, std::nullopt,
                      R"({"big":18446744073,"name":"四","note":"n"})"});
  expected.push_back({"2", hash(k1), k1, "changed", "delivered", std::nullopt, std::nullopt,
                      R"({"big":9007199254740993,"name":"Zoë B","note":null})"});
  BOOST_TEST(sqlite_query(warehouse, records_sql) == expected,
             show(sqlite_query(warehouse, records_sql)));
  BOOST_TEST(sqlite_query(warehouse, "SELECT run_id, status, changed, deleted, added FROM "
                                     "backflow_sync_runs ORDER BY run_id") ==
             (table_rows{{"1", "success", "0", "0", "3"}, {"2", "success", "1", "1", "1"}}));
  // sync_ids: the keys the destination holds now, each with the run that last delivered it.
  BOOST_TEST(sqlite_query(warehouse, "SELECT key, run_id, destination_id FROM backflow_sync_ids "
                                     "ORDER BY key") ==
             (table_rows{{k4, "2", std::nullopt}, {k1, "2", std::nullopt}, {k2, "1", std::nullopt}}));
  // A run with nothing to do adds its run row only.
  auto third = backflow.run_sync(file);
  BOOST_TEST(third.summary["writeback"]["records"] == 0);
  BOOST_TEST(sqlite_query(warehouse, "SELECT count(*) FROM backflow_sync_records") ==
             (table_rows{{"6"}}));
  BOOST_TEST(sqlite_query(warehouse, "SELECT count(*) FROM backflow_sync_runs") ==
             (table_rows{{"3"}}));
}

BOOST_FIXTURE_TEST_CASE(a_warehouse_that_cannot_be_opened_leaves_delivery_alone_and_is_caught_up,
                        sqlite_fixture) {
  // The log's path is a directory for now: SQLite cannot open it.
  const auto target = dir.file("log.sqlite");
  std::filesystem::create_directory(target);
  auto file = sync_file({{"connection", {{"type", "sqlite"}, {"path", target}}}});
  auto first = backflow.run_sync(file);
  // Delivered and committed as without write-back: exit 0, the emulator holds the 3 records.
  BOOST_TEST(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["status"] == "success");
  BOOST_TEST(first.summary["counts"]["delivered"] == 3);
  BOOST_TEST(received() == 3u);
  BOOST_TEST(first.summary["writeback"]["status"] == "failed");
  BOOST_TEST(first.summary["writeback"]["pending"] == 3);
  BOOST_TEST(first.summary["writeback"].value("error", "").find("cannot open SQLite database") !=
                 std::string::npos, first.summary["writeback"].dump());
  auto committed = backflow.run_sync(file);  // nothing is resent: the commit stood
  BOOST_TEST(committed.summary["api_calls"] == 0);
  BOOST_TEST(committed.summary["writeback"]["status"] == "failed");

  // There again: the next run writes what the failed ones could not, from the state.
  std::filesystem::remove(target);
  sqlite_exec(target, "CREATE TABLE placeholder (x INTEGER)");
  std::filesystem::copy(dir.file("state"), dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  auto caught_up = backflow.run_sync(file);
  BOOST_TEST(caught_up.summary["writeback"]["status"] == "written", caught_up.summary.dump());
  BOOST_TEST(caught_up.summary["writeback"]["runs"] == 3);
  BOOST_TEST(caught_up.summary["writeback"]["records"] == 3);
  auto rows = sqlite_query(target, "SELECT run_id, key, outcome FROM backflow_sync_records ORDER "
                                   "BY key");
  BOOST_TEST(rows == (table_rows{{"1", k3, "delivered"}, {"1", k1, "delivered"},
                                 {"1", k2, "delivered"}}), show(rows));

  // A crash after the warehouse committed but before the state noted it (the state as it was
  // before that run): the rows are written again and replace themselves.
  std::filesystem::remove_all(dir.file("state"));
  std::filesystem::rename(dir.file("state-before"), dir.file("state"));
  auto repeated = backflow.run_sync(file);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 3);
  BOOST_TEST(sqlite_query(target, "SELECT count(*), count(DISTINCT key) FROM "
                                  "backflow_sync_records") == (table_rows{{"3", "3"}}));
  BOOST_TEST(sqlite_query(target, "SELECT group_concat(run_id) FROM (SELECT run_id FROM "
                                  "backflow_sync_runs ORDER BY run_id)") ==
             (table_rows{{"1,2,3"}}));
  BOOST_TEST(received() == 3u);
}

BOOST_FIXTURE_TEST_CASE(kill_9_while_writing_back_loses_no_row_and_duplicates_none,
                        sqlite_fixture) {
  const auto target = dir.file("log.sqlite");
  sqlite_exec(target, "CREATE TABLE placeholder (x INTEGER)");
  auto file = sync_file({{"connection", {{"type", "sqlite"}, {"path", target}}}});
  // Another writer holds the log file's write lock: write-back waits for it after delivery.
  sqlite3* holder = nullptr;
  BOOST_REQUIRE(sqlite3_open(target.c_str(), &holder) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  background_process run({binary_path("backflow"), "run", file, "--state", dir.file("state"),
                          "--json"});
  // The run is recorded (status lists it as the last run) just before write-back begins.
  bool recorded = false;
  for (int i = 0; i < 400 && !recorded; ++i) {
    auto status = json::parse(backflow.run({"status", "--state", dir.file("state"), "--json"}).out,
                              nullptr, false);
    recorded = status.is_array() && status.size() == 1u && status[0]["last_run"].is_object() &&
               status[0]["last_run"].value("run_id", 0) == 1;
    if (!recorded)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_REQUIRE_MESSAGE(recorded, "the run was never recorded");
  BOOST_TEST(received() == 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_REQUIRE_MESSAGE(run.running(), "the run ended before write-back could be cut");
  run.signal(SIGKILL);
  auto killed = run.wait();
  BOOST_TEST(killed.signal == SIGKILL);
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);

  auto next = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(next.process.exit_code == 0, next.process.out << next.process.err);
  BOOST_TEST(next.summary["writeback"]["status"] == "written");
  BOOST_TEST(next.summary["api_calls"] == 0);  // delivery was committed before the kill
  BOOST_TEST(received() == 3u);
  // Every record once, under the run that delivered it; both runs recorded.
  BOOST_TEST(sqlite_query(target, "SELECT run_id, key, operation, outcome FROM "
                                  "backflow_sync_records ORDER BY key") ==
             (table_rows{{"1", k3, "added", "delivered"},
                         {"1", k1, "added", "delivered"},
                         {"1", k2, "added", "delivered"}}));
  BOOST_TEST(sqlite_query(target, "SELECT run_id, status FROM backflow_sync_runs ORDER BY "
                                  "run_id") == (table_rows{{"1", "success"}, {"2", "success"}}));
  BOOST_TEST(sqlite_query(target, "SELECT count(*) FROM backflow_sync_ids") == (table_rows{{"3"}}));
}

BOOST_FIXTURE_TEST_CASE(retention_prunes_old_runs_and_outcomes_but_never_the_newest,
                        sqlite_fixture) {
  auto file = sync_file({{"retention", "30d"}});
  BOOST_REQUIRE(backflow.run_sync(file).process.exit_code == 0);
  sqlite_exec(warehouse, "UPDATE leads SET big = big + 1 WHERE id = 'ключ''2'");
  // 31 days later (the clock of quotas and pauses, moved for tests).
  auto later = backflow;
  later.env["BACKFLOW_FAKE_NOW"] = std::to_string(std::time(nullptr) + 31 * 86400);
  auto second = later.run_sync(file);
  BOOST_REQUIRE(second.process.exit_code == 0);
  auto kept = sqlite_query(warehouse, "SELECT run_id, key, operation FROM backflow_sync_records");
  BOOST_TEST(kept == (table_rows{{"2", k2, "changed"}}), show(kept));
  BOOST_TEST(sqlite_query(warehouse, "SELECT run_id FROM backflow_sync_runs") ==
             (table_rows{{"2"}}));
  BOOST_TEST(sqlite_query(warehouse, "SELECT count(*) FROM backflow_sync_ids") ==
             (table_rows{{"3"}}));  // current ids are never pruned
}

BOOST_FIXTURE_TEST_CASE(a_connection_that_cannot_be_written_to_is_refused_at_validate,
                        sqlite_fixture) {
  // The cloud warehouses are writable: validate accepts them.
  auto bigquery = backflow.run({"validate", sync_file({{"connection", {{"type", "bigquery"},
                                                                       {"project", "p"},
                                                                       {"access_token", "t"}}}})});
  BOOST_TEST(bigquery.exit_code == 0, bigquery.out << bigquery.err);
  auto file = sync_file({{"connection", {{"type", "oracle"}, {"dsn", "x"}}}});
  auto validate = backflow.run({"validate", file});
  BOOST_TEST(validate.exit_code == 2);
  BOOST_TEST(validate.err.find("writeback.connection.type: expected one of the writable source "
                               "types (") != std::string::npos, validate.err);
  auto bad_key = backflow.run({"validate", sync_file({{"schema", "no spaces"}, {"every", 1}})});
  BOOST_TEST(bad_key.exit_code == 2);
  BOOST_TEST(bad_key.err.find("writeback.every") != std::string::npos, bad_key.err);
  BOOST_TEST(bad_key.err.find("writeback.schema") != std::string::npos, bad_key.err);
  BOOST_TEST(received() == 0u);
}

BOOST_FIXTURE_TEST_CASE(turned_on_later_it_copies_the_ids_and_runs_the_state_already_has,
                        sqlite_fixture) {
  auto before = sync(json::object());
  before.erase("writeback");
  BOOST_REQUIRE(backflow.run_sync(write_sync(dir, before)).process.exit_code == 0);
  auto file = sync_file();  // the same sync, now with write-back: nothing to send
  auto later = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(later.process.exit_code == 0, later.process.out << later.process.err);
  BOOST_TEST(later.summary["api_calls"] == 0);
  BOOST_TEST(later.summary["writeback"]["records"] == 0);
  BOOST_TEST(later.summary["writeback"]["ids"] == 3);
  auto ids = sqlite_query(warehouse, "SELECT key, key_hash, destination_id, run_id FROM "
                                     "backflow_sync_ids ORDER BY key");
  BOOST_TEST(ids == (table_rows{{k3, hash(k3), std::nullopt, std::nullopt},
                                {k1, hash(k1), std::nullopt, std::nullopt},
                                {k2, hash(k2), std::nullopt, std::nullopt}}), show(ids));
  BOOST_TEST(sqlite_query(warehouse, "SELECT run_id, status FROM backflow_sync_runs ORDER BY "
                                     "run_id") == (table_rows{{"1", "success"}, {"2", "success"}}));
  // Once only: the next run's delete goes through the log as usual.
  sqlite_exec(warehouse, "DELETE FROM leads WHERE id = 'k,3 \"q\"'");
  auto third = backflow.run_sync(file);
  BOOST_TEST(third.summary["writeback"]["ids"] == 1);
  BOOST_TEST(sqlite_query(warehouse, "SELECT count(*) FROM backflow_sync_ids") ==
             (table_rows{{"2"}}));
}

BOOST_AUTO_TEST_CASE(hubspot_record_ids_and_a_rejection_reach_the_tables) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  model->insert(1, 5);
  model->exec("INSERT INTO contacts VALUES ('not-an-email', 'Broken', 1, 'gold')");
  auto sync = hubspot_sync(*model, hubspot.url());
  sync["writeback"] = json::object();
  auto run = backflow.run_sync(write_sync(dir, sync));
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 1, run.process.out << run.process.err);
  BOOST_TEST(run.summary["writeback"]["status"] == "written");
  const auto warehouse = dir.file("warehouse.sqlite");
  // Each contact's id as the emulator holds it: in sync_ids and on its delivered record.
  table_rows expected;
  for (auto& r : hubspot.records())
    expected.push_back({r["properties"]["email"].get<std::string>(), r["id"].get<std::string>(),
                        r["id"].get<std::string>()});
  std::sort(expected.begin(), expected.end());
  BOOST_REQUIRE_EQUAL(expected.size(), 4u);
  auto ids = sqlite_query(warehouse, "SELECT i.key, i.destination_id, r.destination_id FROM "
                                     "backflow_sync_ids i JOIN backflow_sync_records r USING "
                                     "(sync, key_hash) ORDER BY i.key");
  BOOST_TEST(ids == expected, show(ids));
  auto rejected = sqlite_query(warehouse, "SELECT key, outcome, destination_id, reason LIKE "
                                          "'%INVALID_EMAIL%' FROM backflow_sync_records WHERE "
                                          "outcome <> 'delivered'");
  BOOST_TEST(rejected == (table_rows{{"not-an-email", "rejected", std::nullopt, "1"}}),
             show(rejected));
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_writeback
