// End to end, the e2e_writeback suite's cloud warehouses: write-back through the Snowflake,
// BigQuery and Databricks emulators' statement APIs (MERGE with typed parameters, run on their
// SQLite files), exact, repeated, retried and refused.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/writeback_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_writeback)

using namespace backflow::testing;
using namespace backflow::testing::writeback;
using nlohmann::json;

namespace {

/// Hostile keys: a separator and a backslash, Cyrillic with a quote, a question mark (a
/// placeholder in Snowflake's dialect) and an @ (BigQuery's) with double quotes.
const std::string c1 = "k|1\\x";
const std::string c2 = "ключ'2";
const std::string c3 = "k?@p1 \"q\"";

/// One cloud warehouse as its emulator stands in for it.
struct cloud_warehouse {
  std::string type;          ///< source type and emulator name
  std::string schema_file;   ///< the suffix of the write-back schema's SQLite file
  std::string text_field;    ///< the statement's text in the emulator's records
  std::string api_path;      ///< what every statement is POSTed to
  /// Emulator arguments besides --database, given a directory for key files.
  std::function<std::vector<std::string>(const temp_dir&)> args;
  /// The source options pointing at the emulator at `url` (credentials included).
  std::function<json(const temp_dir&, const std::string& url)> source;
  /// The model: id, name, big (past 2^53), amount (38 digits) in the warehouse's types.
  std::string model;
  /// A permanent refusal of a write statement: the fault's status and body, and how the
  /// write-back's error begins.
  int refusal_status;
  json refusal_body;
  std::string refusal_said;
  /// Whether a retried submit is recognised and not run twice (Snowflake's requestId).
  bool dedupes_retries;
};

const std::string sf_token = "sf-wb-token-71c3";
const std::string bq_token = "ya29.wb-token-5e1a";

cloud_warehouse snowflake_warehouse() {
  return {"snowflake", ".BACKFLOW", "statement", "/api/v2/statements",
          [](const temp_dir&) { return std::vector<std::string>{"--token", sf_token}; },
          [](const temp_dir&, const std::string& url) {
            return json{{"type", "snowflake"}, {"url", url}, {"account", "emulator"},
                        {"token", sf_token}, {"warehouse", "WH"}, {"database", "ANALYTICS"}};
          },
          "SELECT id, name, big, amount AS \"amount::NUMBER(38,0)\" FROM leads",
          422,
          {{"code", "003001"}, {"sqlState", "42501"},
           {"message", "SQL access control error:\nInsufficient privileges to operate on "
                       "database 'ANALYTICS'"}},
          "writeback: Snowflake: Snowflake error 003001 (SQL state 42501): SQL access control "
          "error:",
          true};
}

/// A service-account key file whose token_uri is the emulator's (write-back asks it for the
/// `bigquery` scope, the source for `bigquery.readonly`).
cloud_warehouse bigquery_warehouse() {
  return {"bigquery", ".backflow", "query", "/queries",
          [](const temp_dir& dir) {
            const std::string made =
                "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                dir.file("bq.pem") + " 2>/dev/null && openssl pkey -in " + dir.file("bq.pem") +
                " -pubout -out " + dir.file("bq.pub");
            if (!std::filesystem::exists(dir.file("bq.pub")))  // one key for every emulator
              BOOST_REQUIRE_MESSAGE(std::system(made.c_str()) == 0, made);
            return std::vector<std::string>{"--public-key", dir.file("bq.pub"), "--token",
                                            bq_token};
          },
          [](const temp_dir& dir, const std::string& url) {
            write_file(dir.file("bq.json"),
                       json{{"type", "service_account"},
                            {"client_email", "backflow@my-project.iam.gserviceaccount.com"},
                            {"private_key", read_file(dir.file("bq.pem"))},
                            {"token_uri", url + "/token"}}
                           .dump());
            return json{{"type", "bigquery"}, {"endpoint", url}, {"project", "my-project"},
                        {"credentials_file", dir.file("bq.json")}};
          },
          "SELECT id, name, big, amount AS `amount::BIGNUMERIC` FROM leads",
          403,
          // Google's order of fields, as the API writes them.
          R"({"error": {"code": 403, "message": "Access Denied: Dataset my-project:backflow: )"
          R"(Permission bigquery.tables.updateData denied", "errors": [{"message": "Access )"
          R"(Denied", "domain": "global", "reason": "accessDenied"}], "status": "PERMISSION_DENIED"}})",
          "writeback: BigQuery: access_token: BigQuery refused the credentials: BigQuery error "
          "accessDenied: Access Denied:",
          false};
}

const std::string dbx_token = "dapi-wb-token-2b7d";

cloud_warehouse databricks_warehouse() {
  return {"databricks", ".backflow", "statement", "/api/2.0/sql/statements",
          [](const temp_dir&) {
            return std::vector<std::string>{"--token", dbx_token, "--warehouse-id", "wh-1"};
          },
          [](const temp_dir&, const std::string& url) {
            return json{{"type", "databricks"}, {"host", url}, {"warehouse_id", "wh-1"},
                        {"catalog", "main"}, {"token", dbx_token}};
          },
          "SELECT id, name, big, amount AS `amount::DECIMAL(38,0)` FROM leads",
          // A statement the warehouse runs and fails: HTTP 200, state FAILED.
          200,
          {{"statement_id", "01ef-refused"},
           {"status", {{"state", "FAILED"},
                       {"error", {{"error_code", "PERMISSION_DENIED"},
                                  {"message", "[INSUFFICIENT_PERMISSIONS] Insufficient "
                                              "privileges: User does not have CREATE SCHEMA on "
                                              "Catalog 'main'. SQLSTATE: 42501"}}}}}},
          "writeback: Databricks: Databricks error PERMISSION_DENIED: [INSUFFICIENT_PERMISSIONS]",
          false};
}

/// The model's rows in a SQLite file the emulator runs statements on.
void fill_model(const std::string& warehouse) {
  sqlite_exec(warehouse,
              "CREATE TABLE leads (id TEXT, name TEXT, big INTEGER, amount TEXT);"
              "INSERT INTO leads VALUES ('k|1\\x', 'Zoë 𝒜', 9007199254740993, "
              "'12345678901234567890123456789012345678'),"
              " ('ключ''2', '', -42, '-99999999999999999999999999999999999999'),"
              " ('k?@p1 \"q\"', NULL, 0, '0');");
}

struct cloud_fixture {
  temp_dir dir;
  std::string warehouse = dir.file("warehouse.sqlite");
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  cloud_fixture() { fill_model(warehouse); }

  std::string sync_file(const cloud_warehouse& w, const std::string& url, const json& writeback) {
    auto src = w.source(dir, url);
    src["query"] = w.model;
    src["key"] = "id";
    return write_sync(dir, {{"name", "leads_" + w.type},
                            {"source", src},
                            {"destination", {{"type", "webhook"},
                                             {"endpoint", webhook.url("/hooks/backflow")},
                                             {"secret", secret}}},
                            {"mode", "mirror"},
                            {"writeback", writeback}});
  }
  emulator_process start(const cloud_warehouse& w, const std::string& database) {
    auto args = w.args(dir);
    args.insert(args.begin(), {"--database", database});
    return emulator_process(w.type, args);
  }
};

/// Run 1, then run 2 (a change, a delete) whose write-back is repeated from the state as it was
/// before it (a crash after the warehouse committed): each table holds each run's rows once.
void tables_hold_each_runs_rows(cloud_fixture& f, const cloud_warehouse& w) {
  auto em = f.start(w, f.warehouse);
  auto file = f.sync_file(w, em.url(), json::object());  // the sync's own warehouse
  auto log = [&](const std::string& sql) { return sqlite_query(f.warehouse + w.schema_file, sql); };
  auto first = f.backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  // Written by hand from the model: exact integers past 2^53 and 38-digit decimals, NULL apart
  // from empty, in SQLite's byte order of keys ("k?" < "k|" < "к").
  const std::string f1 =
      R"({"amount":12345678901234567890123456789012345678,"big":9007199254740993,"name":"Zoë 𝒜"})";
  const std::string f2 =
      R"({"amount":-99999999999999999999999999999999999999,"big":-42,"name":""})";
  const std::string f3 = R"({"amount":0,"big":0,"name":null})";
  const std::string records = "SELECT run_id, key_hash, key, operation, outcome, destination_id, "
                              "fields FROM sync_records ORDER BY run_id, key";
  table_rows expected = {
      {"1", hash(c3), c3, "added", "delivered", std::nullopt, f3},
      {"1", hash(c1), c1, "added", "delivered", std::nullopt, f1},
      {"1", hash(c2), c2, "added", "delivered", std::nullopt, f2},
  };
  BOOST_TEST(log(records) == expected, w.type << show(log(records)));
  BOOST_TEST(log("SELECT sync, run_id, status, extracted, added, delivered, error, "
                 "typeof(run_id) FROM sync_runs") ==
             (table_rows{{"leads_" + w.type, "1", "success", "3", "3", "3", std::nullopt,
                          "integer"}}));
  // Values travel as parameters: no key nor the sync's name in any statement's text.
  for (const auto& s : em.records()) {
    const auto text = s[w.text_field].get<std::string>();
    BOOST_TEST(text.find("ключ") == std::string::npos, text);
    BOOST_TEST(text.find("leads_" + w.type) == std::string::npos, text);
  }

  sqlite_exec(f.warehouse, "UPDATE leads SET name = 'Zoë B' WHERE id = 'k|1\\x';"
                           "DELETE FROM leads WHERE id = 'k?@p1 \"q\"';");
  std::filesystem::copy(f.dir.file("state"), f.dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(f.backflow.run_sync(file).process.exit_code == 0);
  std::filesystem::remove_all(f.dir.file("state"));
  std::filesystem::rename(f.dir.file("state-before"), f.dir.file("state"));
  auto repeated = f.backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(repeated.process.exit_code == 0, repeated.process.err);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 2, repeated.summary.dump());
  expected.push_back({"2", hash(c3), c3, "deleted", "delivered", std::nullopt, std::nullopt});
  expected.push_back({"2", hash(c1), c1, "changed", "delivered", std::nullopt,
                      R"({"amount":12345678901234567890123456789012345678,"big":9007199254740993,"name":"Zoë B"})"});
  BOOST_TEST(log(records) == expected, w.type << show(log(records)));
  BOOST_TEST(log("SELECT run_id, status, changed, deleted FROM sync_runs ORDER BY run_id") ==
             (table_rows{{"1", "success", "0", "0"}, {"2", "success", "1", "1"}}));
  BOOST_TEST(log("SELECT key, run_id FROM sync_ids ORDER BY key") ==
             (table_rows{{c1, "2"}, {c2, "1"}}));

  // Run 1 is older than the retention now: the next write-back deletes its rows (bound
  // parameters in their places: the sync, the cut-off, the run to keep).
  sqlite_exec(f.warehouse + w.schema_file,
              "UPDATE sync_runs SET started_at = '2000-01-01 00:00:00' WHERE run_id = 1;"
              "UPDATE sync_records SET settled_at = '2000-01-01 00:00:00' WHERE run_id = 1;");
  auto pruned = f.backflow.run_sync(file);
  BOOST_TEST(pruned.summary["writeback"]["status"] == "written", pruned.summary.dump());
  BOOST_TEST(log("SELECT DISTINCT run_id FROM sync_records") == (table_rows{{"2"}}));
  BOOST_TEST(log("SELECT run_id FROM sync_runs ORDER BY run_id") == (table_rows{{"2"}, {"3"}}));
  BOOST_TEST(log("SELECT count(*) FROM sync_ids") == (table_rows{{"2"}}));
}

/// A write-back the warehouse refuses changes nothing else and is caught up by the next run,
/// whose records MERGE loses its answer once (503 after the work was done) and is retried.
void refusal_is_caught_up(cloud_fixture& f, const cloud_warehouse& w, const json& connection) {
  auto em = f.start(w, f.warehouse);
  const std::string logs = f.dir.file("logs.sqlite");
  sqlite_exec(logs, "CREATE TABLE placeholder (x INTEGER)");
  auto em_logs = f.start(w, logs);
  auto conn = w.source(f.dir, em_logs.url());
  conn.merge_patch(connection);
  auto file = f.sync_file(w, em.url(), {{"connection", conn}});
  const json match = {{"method", "POST"}, {"path_contains", w.api_path}};
  em_logs.fault({{"match", match}, {"status", w.refusal_status}, {"body", w.refusal_body}});
  auto refused = f.backflow.run_sync(file);
  BOOST_TEST(refused.process.exit_code == 0, refused.process.out << refused.process.err);
  BOOST_TEST(refused.summary["counts"]["delivered"] == 3);
  BOOST_TEST(f.webhook.records().size() == 3u);
  BOOST_TEST(refused.summary["writeback"]["status"] == "failed");
  BOOST_TEST(refused.summary["writeback"]["pending"] == 3);
  const auto said = refused.summary["writeback"].value("error", "");
  BOOST_TEST(said.rfind(w.refusal_said, 0) == 0, said);
  BOOST_TEST(!std::filesystem::exists(logs + w.schema_file));

  // The 6th statement is the MERGE of the records (schema, 3 tables, runs, records).
  em_logs.fault({{"match", match}, {"nth", 6}, {"status", 503}, {"apply", true}});
  auto caught_up = f.backflow.run_sync(file);
  BOOST_TEST(caught_up.process.exit_code == 0);
  BOOST_TEST(caught_up.summary["api_calls"] == 0);  // nothing resent: the commit stood
  BOOST_TEST(caught_up.summary["writeback"]["status"] == "written", caught_up.summary.dump());
  BOOST_TEST(caught_up.summary["writeback"]["runs"] == 2);
  BOOST_TEST(caught_up.summary["writeback"]["records"] == 3);
  auto log = [&](const std::string& sql) { return sqlite_query(logs + w.schema_file, sql); };
  BOOST_TEST(log("SELECT run_id, key, outcome FROM sync_records ORDER BY key") ==
             (table_rows{{"1", c3, "delivered"}, {"1", c1, "delivered"}, {"1", c2, "delivered"}}));
  BOOST_TEST(log("SELECT run_id, status FROM sync_runs ORDER BY run_id") ==
             (table_rows{{"1", "success"}, {"2", "success"}}));
  BOOST_TEST(log("SELECT count(*) FROM sync_ids") == (table_rows{{"3"}}));
  const auto requests = em_logs.requests();
  size_t lost = 0;
  for (const auto& r : requests["log"])
    lost += r.value("status", 0) == 503 ? 1 : 0;
  BOOST_TEST(lost == 1u, requests.dump());
  size_t merges = 0;
  for (const auto& s : em_logs.records()) {
    auto text = s[w.text_field].get<std::string>();
    for (auto& c : text)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    merges += text.rfind("merge into", 0) == 0 && text.find("sync_records") != std::string::npos;
  }
  // Snowflake knows the retried submit by its requestId; the others run the MERGE again,
  // which finds its rows and updates them.
  BOOST_TEST(merges == (w.dedupes_retries ? 1u : 2u), em_logs.records().dump());
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(snowflake_tables_hold_each_runs_rows_through_merges_with_bindings,
                        cloud_fixture) {
  tables_hold_each_runs_rows(*this, snowflake_warehouse());
  // Created with Snowflake's types, names in upper case.
  BOOST_TEST(sqlite_query(warehouse + ".BACKFLOW",
                          "SELECT sql LIKE '%\"RUN_ID\" NUMBER(38,0) NOT NULL%TIMESTAMP_TZ%' FROM "
                          "sqlite_master WHERE name = 'SYNC_RUNS'") == (table_rows{{"1"}}));
}

BOOST_FIXTURE_TEST_CASE(snowflake_refusing_the_write_back_leaves_delivery_alone_and_is_caught_up,
                        cloud_fixture) {
  refusal_is_caught_up(*this, snowflake_warehouse(), json::object());
}

BOOST_FIXTURE_TEST_CASE(bigquery_tables_hold_each_runs_rows_through_merges_with_parameters,
                        cloud_fixture) {
  tables_hold_each_runs_rows(*this, bigquery_warehouse());
  BOOST_TEST(sqlite_query(warehouse + ".backflow",
                          "SELECT sql LIKE '%`run_id` INT64 NOT NULL%`settled_at` TIMESTAMP%' FROM "
                          "sqlite_master WHERE name = 'sync_records'") == (table_rows{{"1"}}));
}

BOOST_FIXTURE_TEST_CASE(bigquery_refusing_the_write_back_leaves_delivery_alone_and_is_caught_up,
                        cloud_fixture) {
  // The log's connection by access token (the model's by key file).
  refusal_is_caught_up(*this, bigquery_warehouse(),
                       {{"credentials_file", nullptr}, {"access_token", bq_token}});
}

BOOST_FIXTURE_TEST_CASE(databricks_tables_hold_each_runs_rows_through_merges_with_parameters,
                        cloud_fixture) {
  tables_hold_each_runs_rows(*this, databricks_warehouse());
  BOOST_TEST(sqlite_query(warehouse + ".backflow",
                          "SELECT sql LIKE '%`run_id` BIGINT NOT NULL%`settled_at` TIMESTAMP%' FROM "
                          "sqlite_master WHERE name = 'sync_records'") == (table_rows{{"1"}}));
}

BOOST_FIXTURE_TEST_CASE(databricks_refusing_the_write_back_leaves_delivery_alone_and_is_caught_up,
                        cloud_fixture) {
  refusal_is_caught_up(*this, databricks_warehouse(), json::object());
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_writeback
