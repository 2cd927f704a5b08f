// End to end, the e2e_writeback suite's servers: write-back into the throwaway PostgreSQL, MariaDB
// and ClickHouse (typed tables, exact numbers, a warehouse down or read-only, repeated batches).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include <libpq-fe.h>
#include <unistd.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/writeback_support.hpp"
#include "tests/sources/clickhouse_server.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_writeback)

using namespace backflow::testing;
using namespace backflow::testing::writeback;
using nlohmann::json;

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

BOOST_FIXTURE_TEST_CASE(redshift_deletes_then_inserts_in_one_transaction_with_bound_values,
                        postgres_fixture) {
  // Redshift's writer against PostgreSQL: the wire protocol, and statements both accept.
  const json redshift = {{"type", "redshift"}, {"dsn", dsn + " sslmode=disable"}};
  auto down = backflow.run_sync(sync_file(
      {{"type", "redshift"}, {"dsn", "host=127.0.0.1 port=1 dbname=none sslmode=disable"}}));
  BOOST_TEST(down.process.exit_code == 0, down.process.out << down.process.err);
  BOOST_TEST(down.summary["counts"]["delivered"] == 2);
  BOOST_TEST(webhook.records().size() == 2u);
  BOOST_TEST(down.summary["writeback"]["status"] == "failed");
  BOOST_TEST(down.summary["writeback"].value("error", "").rfind(
                 "writeback: cannot connect to Redshift: ", 0) == 0,
             down.summary["writeback"].dump());

  auto file = sync_file(redshift);
  auto up = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(up.process.exit_code == 0, up.process.out << up.process.err);
  BOOST_TEST(up.summary["api_calls"] == 0);  // nothing resent: the commit stood
  BOOST_TEST(up.summary["writeback"]["status"] == "written", up.summary.dump());
  BOOST_TEST(up.summary["writeback"]["runs"] == 2);
  // Values bound, not quoted: the backslash key and 38-digit numbers as they were.
  const std::string records = "SELECT run_id::text, key, key_hash, operation, outcome, fields FROM " +
                              log + ".sync_records ORDER BY run_id, key";
  table_rows expected = {
      {"1", "d/1", hash("d/1"), "added", "delivered",
       R"({"amount":12345678901234567890123456789012345678,"label":"Ω ≠ ∅"})"},
      {"1", "d\\2", hash("d\\2"), "added", "delivered",
       R"({"amount":-99999999999999999999999999999999999999,"label":null})"},
  };
  BOOST_TEST(query(records) == expected, show(query(records)));
  BOOST_TEST(query("SELECT column_name || ' ' || data_type || coalesce('(' || "
                   "character_maximum_length || ')', '') FROM information_schema.columns WHERE "
                   "table_schema = '" + log + "' AND table_name = 'sync_records' AND column_name "
                   "IN ('key', 'key_hash', 'run_id', 'settled_at') ORDER BY column_name") ==
             (table_rows{{"key character varying(65535)"}, {"key_hash character varying(256)"},
                         {"run_id bigint"}, {"settled_at timestamp with time zone"}}));

  // Run 3 changes a row; its write-back is repeated from the state as it was before it.
  exec("UPDATE " + model + ".deals SET label = 'x' WHERE id = 'd/1'");
  std::filesystem::copy(dir.file("state"), dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(backflow.run_sync(file).process.exit_code == 0);
  std::filesystem::remove_all(dir.file("state"));
  std::filesystem::rename(dir.file("state-before"), dir.file("state"));
  auto repeated = backflow.run_sync(file);
  BOOST_REQUIRE(repeated.process.exit_code == 0);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 1);
  expected.push_back({"3", "d/1", hash("d/1"), "changed", "delivered",
                      R"({"amount":12345678901234567890123456789012345678,"label":"x"})"});
  BOOST_TEST(query(records) == expected, show(query(records)));
  BOOST_TEST(query("SELECT string_agg(run_id::text, ',' ORDER BY run_id) FROM " + log +
                   ".sync_runs") == (table_rows{{"1,2,3"}}));
  BOOST_TEST(query("SELECT key, run_id::text FROM " + log + ".sync_ids ORDER BY key") ==
             (table_rows{{"d/1", "3"}, {"d\\2", "1"}}));
}

namespace {

/// The rows of a ClickHouse query as JSON objects (one per line of JSONEachRow).
std::vector<json> ch_rows(const clickhouse_server& ch, const std::string& sql) {
  std::vector<json> out;
  std::istringstream lines(ch.exec(sql + " FORMAT JSONEachRow"));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty())
      out.push_back(json::parse(line));
  return out;
}

/// Waits until the database's DELETE mutations have all been applied.
void wait_for_mutations(const clickhouse_server& ch) {
  for (int i = 0; i < 100; ++i) {
    auto left = ch.exec("SELECT count() FROM system.mutations WHERE database = '{d}' AND "
                        "is_done = 0");
    if (left.rfind("0", 0) == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_FAIL("ClickHouse mutations did not finish");
}

}  // namespace

BOOST_AUTO_TEST_CASE(clickhouse_rows_replace_their_twins_and_removed_ids_go) {
  temp_dir dir;
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  clickhouse_server ch;
  auto fill = [&](bool with_x) {
    ch.exec("DROP TABLE IF EXISTS {d}.deals");
    ch.exec("CREATE TABLE {d}.deals (id String, amount UInt64, label Nullable(String)) "
            "ENGINE = Memory");
    ch.exec(std::string("INSERT INTO {d}.deals VALUES ('d/1', 18446744073709551615, 'Ω'), "
                        "('o\\'k\\\\', 9007199254740993, NULL)") +
            (with_x ? ", ('x', 1, '')" : ""));
  };
  fill(true);
  json source = ch.options();
  source["type"] = "clickhouse";
  source["query"] = "SELECT id, amount, label FROM " + ch.database() + ".deals";
  source["key"] = "id";
  auto file = write_sync(dir, {{"name", "deals_clickhouse"},
                               {"source", source},
                               {"destination", {{"type", "webhook"},
                                                {"endpoint", webhook.url("/hooks/backflow")},
                                                {"secret", secret}}},
                               {"mode", "mirror"},
                               {"writeback", {{"schema", ch.database()}}}});
  auto first = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  const std::string records = "SELECT toString(run_id) AS run, key, operation, outcome, fields "
                              "FROM {d}.sync_records FINAL ORDER BY run_id, key";
  std::vector<json> expected = {
      {{"run", "1"}, {"key", "d/1"}, {"operation", "added"}, {"outcome", "delivered"},
       {"fields", R"({"amount":18446744073709551615,"label":"Ω"})"}},
      {{"run", "1"}, {"key", "o'k\\"}, {"operation", "added"}, {"outcome", "delivered"},
       {"fields", R"({"amount":9007199254740993,"label":null})"}},
      {{"run", "1"}, {"key", "x"}, {"operation", "added"}, {"outcome", "delivered"},
       {"fields", R"({"amount":1,"label":""})"}},
  };
  BOOST_TEST(ch_rows(ch, records) == expected, json(ch_rows(ch, records)).dump());

  // x leaves the model: run 2 deletes it, and its id row goes; then run 2's write-back is
  // repeated from the state as it was before it (a crash after ClickHouse took the rows).
  fill(false);
  std::filesystem::copy(dir.file("state"), dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(backflow.run_sync(file).process.exit_code == 0);
  std::filesystem::remove_all(dir.file("state"));
  std::filesystem::rename(dir.file("state-before"), dir.file("state"));
  auto repeated = backflow.run_sync(file);
  BOOST_REQUIRE(repeated.process.exit_code == 0);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 1);
  expected.push_back({{"run", "2"}, {"key", "x"}, {"operation", "deleted"},
                      {"outcome", "delivered"}, {"fields", nullptr}});
  BOOST_TEST(ch_rows(ch, records) == expected, json(ch_rows(ch, records)).dump());
  BOOST_TEST(ch_rows(ch, "SELECT toString(run_id) AS run, status FROM {d}.sync_runs FINAL ORDER "
                         "BY run_id") ==
             (std::vector<json>{{{"run", "1"}, {"status", "success"}},
                                {{"run", "2"}, {"status", "success"}}}));
  wait_for_mutations(ch);
  BOOST_TEST(ch_rows(ch, "SELECT key FROM {d}.sync_ids FINAL ORDER BY key") ==
             (std::vector<json>{{{"key", "d/1"}}, {{"key", "o'k\\"}}}));
}


BOOST_AUTO_TEST_SUITE_END()  // e2e_writeback
