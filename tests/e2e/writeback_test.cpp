// End to end: write-back of runs, record outcomes and destination ids into real SQLite files and
// the throwaway PostgreSQL, through crashes and a warehouse that is down or read-only.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_writeback)

using namespace backflow::testing;
using nlohmann::json;

namespace {

using cells = std::vector<std::optional<std::string>>;
using table_rows = std::vector<cells>;

const std::string secret = "whsec_" + backflow::base64_encode("e2e-writeback-secret");

/// Runs `sql` on the SQLite file `path`; the rows it returns, as text (nullopt for NULL).
table_rows sqlite_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  table_rows out;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sqlite3_errmsg(db) << " in " << sql);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    cells row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i)
      row.push_back(sqlite3_column_type(stmt, i) == SQLITE_NULL
                        ? std::nullopt
                        : std::optional<std::string>(
                              reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))));
    out.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, message << " in " << sql);
}

/// Rows as text, for failure messages.
std::string show(const table_rows& rows) {
  std::ostringstream out;
  for (const auto& row : rows) {
    out << "\n  (";
    for (const auto& c : row)
      out << (c ? "'" + *c + "'" : std::string("NULL")) << " ";
    out << ")";
  }
  return out.str();
}

std::string hash(const std::string& key) { return backflow::sha256_hex(key); }

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
  for (int i = 0; i < 200 && received() < 3u; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_REQUIRE(received() == 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
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

BOOST_FIXTURE_TEST_CASE(a_source_that_cannot_be_written_to_is_refused_at_validate,
                        sqlite_fixture) {
  auto file = sync_file({{"connection", {{"type", "bigquery"}, {"project", "p"},
                                         {"access_token", "t"}}}});
  auto validate = backflow.run({"validate", file});
  BOOST_TEST(validate.exit_code == 2);
  BOOST_TEST(validate.err.find("writeback.connection.type: a bigquery source cannot be written "
                               "back to") != std::string::npos, validate.err);
  auto bad_key = backflow.run({"validate", sync_file({{"schema", "no spaces"}, {"every", 1}})});
  BOOST_TEST(bad_key.exit_code == 2);
  BOOST_TEST(bad_key.err.find("writeback.every") != std::string::npos, bad_key.err);
  BOOST_TEST(bad_key.err.find("writeback.schema") != std::string::npos, bad_key.err);
  BOOST_TEST(received() == 0u);
}

namespace {

/// A connection to the throwaway PostgreSQL server, with a model schema and a write-back schema
/// of this test's own (dropped at the end).
struct postgres_fixture {
  temp_dir dir;
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  std::string dsn;
  PGconn* conn = nullptr;
  std::string model = "wb_model_" + std::to_string(getpid());
  std::string log = "wb_log_" + std::to_string(getpid());

  postgres_fixture() {
    const char* dsn_file = std::getenv("BACKFLOW_TEST_PG_DSN_FILE");
    BOOST_REQUIRE_MESSAGE(dsn_file != nullptr, "BACKFLOW_TEST_PG_DSN_FILE is not set; run through ctest");
    dsn = read_file(dsn_file);
    while (!dsn.empty() && (dsn.back() == '\n' || dsn.back() == ' '))
      dsn.pop_back();
    conn = PQconnectdb(dsn.c_str());
    BOOST_REQUIRE(PQstatus(conn) == CONNECTION_OK);
    exec("DROP SCHEMA IF EXISTS " + model + " CASCADE; DROP SCHEMA IF EXISTS " + log + " CASCADE");
    exec("CREATE SCHEMA " + model + "; CREATE TABLE " + model +
         ".deals (id text, amount numeric(38,0), label text)");
    exec("INSERT INTO " + model + ".deals VALUES ('d/1', 12345678901234567890123456789012345678, "
         "'Ω ≠ ∅'), ('d\\2', -99999999999999999999999999999999999999, NULL)");
  }
  ~postgres_fixture() {
    PQclear(PQexec(conn, ("DROP SCHEMA IF EXISTS " + model + " CASCADE; DROP SCHEMA IF EXISTS " +
                          log + " CASCADE").c_str()));
    PQfinish(conn);
  }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    auto st = PQresultStatus(r);
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    BOOST_REQUIRE_MESSAGE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, err << " in " << sql);
  }
  table_rows query(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_TUPLES_OK, PQresultErrorMessage(r) << sql);
    table_rows out;
    for (int i = 0; i < PQntuples(r); ++i) {
      cells row;
      for (int c = 0; c < PQnfields(r); ++c)
        row.push_back(PQgetisnull(r, i, c) ? std::nullopt
                                           : std::optional<std::string>(PQgetvalue(r, i, c)));
      out.push_back(std::move(row));
    }
    PQclear(r);
    return out;
  }
  std::string sync_file(const json& connection) {
    json writeback = {{"schema", log}};
    if (!connection.is_null())
      writeback["connection"] = connection;
    return write_sync(dir, {{"name", "deals_writeback"},
                            {"source", {{"type", "postgres"}, {"dsn", dsn},
                                        {"query", "SELECT id, amount, label FROM " + model +
                                                      ".deals"},
                                        {"key", "id"}}},
                            {"destination", {{"type", "webhook"},
                                             {"endpoint", webhook.url("/hooks/backflow")},
                                             {"secret", secret}}},
                            {"writeback", writeback}});
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(postgres_gets_typed_tables_with_exact_decimals, postgres_fixture) {
  auto file = sync_file(nullptr);  // the sync's own source
  auto first = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  const std::string records = "SELECT run_id::text, key, key_hash, operation, outcome, "
                              "fields->>'amount', fields->>'label', fields ? 'label' FROM " +
                              log + ".sync_records ORDER BY run_id, key";
  table_rows expected = {
      {"1", "d/1", hash("d/1"), "added", "delivered", "12345678901234567890123456789012345678",
       "Ω ≠ ∅", "t"},
      {"1", "d\\2", hash("d\\2"), "added", "delivered",
       "-99999999999999999999999999999999999999", std::nullopt, "t"},
  };
  BOOST_TEST(query(records) == expected);
  BOOST_TEST(query("SELECT pg_typeof(started_at)::text, pg_typeof(run_id)::text FROM " + log +
                   ".sync_runs") == (table_rows{{"timestamp with time zone", "bigint"}}));
  BOOST_TEST(query("SELECT DISTINCT pg_typeof(fields)::text, pg_typeof(settled_at)::text FROM " +
                   log + ".sync_records") == (table_rows{{"jsonb", "timestamp with time zone"}}));
  exec("UPDATE " + model + ".deals SET amount = amount - 1 WHERE id = 'd/1'");
  auto second = backflow.run_sync(file);
  BOOST_REQUIRE(second.process.exit_code == 0);
  expected.push_back({"2", "d/1", hash("d/1"), "changed", "delivered",
                      "12345678901234567890123456789012345677", "Ω ≠ ∅", "t"});
  BOOST_TEST(query(records) == expected);
  BOOST_TEST(query("SELECT run_id::text, status, changed::text FROM " + log +
                   ".sync_runs ORDER BY run_id") ==
             (table_rows{{"1", "success", "0"}, {"2", "success", "1"}}));
  BOOST_TEST(query("SELECT key, run_id::text FROM " + log + ".sync_ids ORDER BY key") ==
             (table_rows{{"d/1", "2"}, {"d\\2", "1"}}));
}

BOOST_FIXTURE_TEST_CASE(postgres_down_or_read_only_is_reported_and_caught_up_later,
                        postgres_fixture) {
  auto down = backflow.run_sync(sync_file(
      {{"type", "postgres"}, {"dsn", "host=127.0.0.1 port=1 dbname=none connect_timeout=2"}}));
  BOOST_TEST(down.process.exit_code == 0, down.process.out << down.process.err);
  BOOST_TEST(down.summary["counts"]["delivered"] == 2);
  BOOST_TEST(webhook.records().size() == 2u);
  BOOST_TEST(down.summary["writeback"]["status"] == "failed");
  BOOST_TEST(down.summary["writeback"].value("error", "").find("cannot connect") !=
             std::string::npos, down.summary["writeback"].dump());

  // Up, but as a role that may not create anything: refused, and still nothing else changes.
  const std::string role = "wb_reader_" + std::to_string(getpid());
  exec("CREATE ROLE " + role + " LOGIN");
  auto as_reader = sync_file({{"type", "postgres"}, {"dsn", dsn + " user=" + role}});
  auto read_only = backflow.run_sync(as_reader);
  BOOST_TEST(read_only.process.exit_code == 0);
  BOOST_TEST(read_only.summary["api_calls"] == 0);
  BOOST_TEST(read_only.summary["writeback"]["status"] == "failed");
  BOOST_TEST(read_only.summary["writeback"].value("error", "").find("permission denied") !=
             std::string::npos, read_only.summary["writeback"].dump());

  exec("GRANT CREATE ON DATABASE " + std::string(PQdb(conn)) + " TO " + role);
  auto up = backflow.run_sync(as_reader);
  BOOST_TEST(up.process.exit_code == 0, up.process.out << up.process.err);
  BOOST_TEST(up.summary["writeback"]["status"] == "written", up.summary.dump());
  BOOST_TEST(up.summary["writeback"]["runs"] == 3);
  BOOST_TEST(query("SELECT run_id::text, count(*)::text FROM " + log +
                   ".sync_records GROUP BY run_id") == (table_rows{{"1", "2"}}));
  BOOST_TEST(query("SELECT string_agg(run_id::text || ' ' || status, ', ' ORDER BY run_id) FROM " +
                   log + ".sync_runs") == (table_rows{{"1 success, 2 success, 3 success"}}));
  exec("DROP OWNED BY " + role + " CASCADE");
  exec("DROP ROLE " + role);
}

BOOST_AUTO_TEST_CASE(mariadb_gets_its_rows_once_through_a_repeated_write_back) {
  temp_dir dir;
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  mariadb_server db;
  db.exec("CREATE TABLE {s}.deals (id VARCHAR(100), amount DECIMAL(38,0), label TEXT)");
  db.exec("INSERT INTO {s}.deals VALUES ('d/1', 12345678901234567890123456789012345678, 'Ω'),"
          " ('o''k\\\\', -1, ''), ('ü€', 0, NULL)");
  json sync = {{"name", "deals_mysql"},
               {"source", {{"type", "mysql"}, {"url", db.url()},
                           {"query", "SELECT id, amount, label FROM " + db.database() + ".deals"},
                           {"key", "id"}}},
               {"destination", {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/backflow")},
                                {"secret", secret}}},
               {"writeback", {{"schema", db.database()}}}};
  auto file = write_sync(dir, sync);
  auto first = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  const std::string records =
      "SELECT GROUP_CONCAT(CONCAT_WS(' ', run_id, `key`, operation, outcome, "
      "IFNULL(fields, 'NULL')) ORDER BY run_id, `key` SEPARATOR ' | ') FROM {s}.sync_records";
  std::string expected = "1 d/1 added delivered "
                         R"({"amount":12345678901234567890123456789012345678,"label":"Ω"})"
                         " | 1 o'k\\ added delivered "
                         R"({"amount":-1,"label":""})"
                         " | 1 ü€ added delivered "
                         R"({"amount":0,"label":null})";
  BOOST_TEST(db.exec(records) == expected);
  // The key's hash, computed by the server itself.
  BOOST_TEST(db.exec("SELECT count(*) FROM {s}.sync_records WHERE key_hash = SHA2(`key`, 256)") ==
             "3");
  BOOST_TEST(db.exec("SELECT GROUP_CONCAT(DATA_TYPE ORDER BY COLUMN_NAME) FROM "
                     "information_schema.COLUMNS WHERE TABLE_SCHEMA = '{s}' AND TABLE_NAME = "
                     "'sync_runs' AND COLUMN_NAME IN ('run_id', 'started_at', 'error')") ==
             "longtext,bigint,datetime");

  // Run 2 changes one record; its write-back is then repeated from the state as it was before
  // (a crash after the warehouse committed): the same rows, not twice.
  db.exec("UPDATE {s}.deals SET amount = amount - 1 WHERE id = 'd/1'");
  std::filesystem::copy(dir.file("state"), dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(backflow.run_sync(file).process.exit_code == 0);
  std::filesystem::remove_all(dir.file("state"));
  std::filesystem::rename(dir.file("state-before"), dir.file("state"));
  auto repeated = backflow.run_sync(file);
  BOOST_REQUIRE(repeated.process.exit_code == 0);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 1);
  // Sorted by run, then key: run 2's row comes after run 1's rows.
  expected = "1 d/1 added delivered "
             R"({"amount":12345678901234567890123456789012345678,"label":"Ω"})"
             " | 1 o'k\\ added delivered "
             R"({"amount":-1,"label":""})"
             " | 1 ü€ added delivered "
             R"({"amount":0,"label":null})"
             " | 2 d/1 changed delivered "
             R"({"amount":12345678901234567890123456789012345677,"label":"Ω"})";
  BOOST_TEST(db.exec(records) == expected);
  BOOST_TEST(db.exec("SELECT GROUP_CONCAT(run_id ORDER BY run_id) FROM {s}.sync_runs") == "1,2");
  BOOST_TEST(db.exec("SELECT GROUP_CONCAT(CONCAT(`key`, '=', run_id) ORDER BY `key`) FROM "
                     "{s}.sync_ids") == "d/1=2,o'k\\=1,ü€=1");
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_writeback
