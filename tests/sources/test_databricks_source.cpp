// Tests of the Databricks source over real HTTP against `backflow-emulator databricks`, which runs
// the statements on a SQLite file made here and serves INLINE results and presigned links.
#define BOOST_TEST_MODULE databricks_source
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "connectors/sources/registry.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/sync/freshness.hpp"
#include "tests/sources/source_test_util.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;
using json = nlohmann::json;

namespace {

const std::string pat = "dapi-Pq7Xz";

/// A SQLite warehouse and a Databricks emulator serving it (PAT and an M2M client).
struct databricks_fixture {
  temp_dir dir;
  std::string db = dir.file("warehouse.db");

  explicit databricks_fixture(const std::string& sql = "CREATE TABLE t(id INTEGER)") { exec(sql); }

  void exec(const std::string& sql) const {
    sqlite3* handle = nullptr;
    BOOST_REQUIRE_EQUAL(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(handle);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, "fixture SQL failed: " + message);
  }

  [[nodiscard]] emulator_process emulator(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"--database", db, "--token", pat, "--warehouse-id", "wh1",
                                     "--client-id", "sp-client", "--client-secret", "sp-s3cret-Kq"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("databricks", args);
  }

  [[nodiscard]] source_spec spec(const emulator_process& emu, const std::string& query,
                                 json extra = json::object()) const {
    json options = {{"host", emu.url()}, {"warehouse_id", "wh1"}, {"catalog", "main"},
                    {"schema", "default"}, {"token", pat}, {"disposition", "INLINE"},
                    {"wait_timeout", "10s"}, {"chunks_in_flight", 4}};
    options.merge_patch(extra);
    return source_spec{"databricks", options, query};
  }
};

json m2m() { return {{"token", nullptr}, {"client_id", "sp-client"}, {"client_secret", "sp-s3cret-Kq"}}; }

json by_endpoint(emulator_process& emu, const std::string& endpoint) {
  return emu.requests()["by_endpoint"].value(endpoint, json::object());
}

const std::string chunks_endpoint = "GET /api/2.0/sql/statements/{id}/result/chunks/{n}";
const std::string links_endpoint = "GET /presigned/{id}/{chunk}";

const std::string edge_query = R"sql(SELECT
      9007199254740993 AS "id::BIGINT",
      '12345678901234567890123456789012345678' AS "big::DECIMAL(38,0)",
      '1.2345678901234567890123456789012345678' AS "tiny::DECIMAL(38,37)",
      '2' AS "two::DECIMAL(10,2)",
      '-0' AS "nz::DOUBLE",
      0.1 AS "tenth::DOUBLE",
      '1969-07-20' AS "d::DATE",
      '2024-03-10 01:59:59-05:00' AS "ts::TIMESTAMP",
      '1969-12-31 23:59:59.5' AS "old::TIMESTAMP",
      '2024-01-05 10:00:00' AS "ntz::TIMESTAMP_NTZ",
      NULL AS "nothing::STRING",
      '' AS "empty::STRING",
      'Zoë 🎉 日本, "x"' AS "unicode::STRING",
      '["a", "b"]' AS "arr::ARRAY<STRING>",
      '{"k": {"n": [1, 2.50]}}' AS "m::MAP<STRING,STRUCT<n:ARRAY<DECIMAL(3,2)>>>",
      '{"k": 12345678901234567890123, "v": "x y"}' AS "st::STRUCT<k:DECIMAL(23,0),v:STRING>",
      x'00ff10' AS "bin::BINARY",
      1 AS "ok::BOOLEAN",
      '1 02:03:04.000000000' AS "iv::INTERVAL DAY TO SECOND",
      substr(hex(zeroblob(51200)), 1, 102400) AS "long::STRING",
      -128 AS "b::TINYINT")sql";

/// The hand-derived cells of edge_query's one row.
void check_edge_row(const drained& out, const schema& cols) {
  BOOST_REQUIRE_EQUAL(cols.size(), 21u);
  BOOST_TEST(cols[0].name == "id");
  BOOST_TEST(std::string(to_string(cols[0].kind)) == to_string(column_kind::integer));
  BOOST_TEST(std::string(to_string(cols[2].kind)) == to_string(column_kind::decimal));
  BOOST_TEST(std::string(to_string(cols[7].kind)) == to_string(column_kind::timestamp));
  BOOST_TEST(std::string(to_string(cols[16].kind)) == to_string(column_kind::bytes));
  BOOST_REQUIRE_EQUAL(out.rows.size(), 1u);
  auto row = out.row(0);
  BOOST_TEST((row[0].type == cell_type::integer && row[0].integer == 9007199254740993LL));
  BOOST_TEST((row[1].type == cell_type::decimal &&
              row[1].text == "12345678901234567890123456789012345678"));
  BOOST_TEST((row[2].type == cell_type::decimal &&
              row[2].text == "1.2345678901234567890123456789012345678"));
  BOOST_TEST((row[3].type == cell_type::decimal && row[3].text == "2.00"));
  // "-0.0" on the wire; the canonical encoding has one zero (row_codec.cpp).
  BOOST_TEST((row[4].type == cell_type::real && row[4].real == 0.0 && !std::signbit(row[4].real)));
  BOOST_TEST((row[5].type == cell_type::real && row[5].real == 0.1));
  BOOST_TEST((row[6].type == cell_type::timestamp && row[6].text == "1969-07-20"));
  BOOST_TEST(row[7].text == "2024-03-10T06:59:59+00:00");  // 01:59:59 at -05:00, in UTC
  BOOST_TEST(row[8].text == "1969-12-31T23:59:59.5+00:00");
  BOOST_TEST((row[9].type == cell_type::timestamp && row[9].text == "2024-01-05T10:00:00"));
  BOOST_TEST(row[10].is_null());
  BOOST_TEST((row[11].type == cell_type::text && row[11].text.empty()));
  BOOST_TEST(row[12].text == "Zoë 🎉 日本, \"x\"");
  BOOST_TEST(row[13].text == R"(["a","b"])");
  BOOST_TEST(row[14].text == R"({"k":{"n":[1,2.50]}})");
  BOOST_TEST(row[15].text == R"({"k":12345678901234567890123,"v":"x y"})");
  BOOST_TEST((row[16].type == cell_type::bytes && row[16].text == std::string("\x00\xff\x10", 3)));
  BOOST_TEST((row[17].type == cell_type::boolean_true));
  BOOST_TEST((row[18].type == cell_type::text && row[18].text == "1 02:03:04.000000000"));
  BOOST_TEST((row[19].text.size() == 102400u &&
              row[19].text.find_first_not_of('0') == std::string::npos));
  BOOST_TEST((row[20].type == cell_type::integer && row[20].integer == -128));
}

std::string count_table(int rows) {
  return "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(rows) + ") INSERT INTO t SELECT i, 'row ' || i FROM n;";
}

void check_counting(const drained& out, size_t rows) {
  BOOST_REQUIRE_EQUAL(out.rows.size(), rows);
  for (size_t i = 0; i < rows; ++i)
    BOOST_REQUIRE_EQUAL(out.row(i)[0].integer, static_cast<int64_t>(i + 1));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(databricks_source)

BOOST_AUTO_TEST_CASE(type_edges_inline_become_the_hand_derived_cells) {
  databricks_fixture f;
  auto emu = f.emulator();
  auto cursor = open_ok(f.spec(emu, edge_query));
  check_edge_row(drain(*cursor, 10), cursor->columns());
  auto recs = emu.records();
  BOOST_TEST(recs[0]["auth"] == "PAT");
  BOOST_TEST(recs[0]["disposition"] == "INLINE");
}

BOOST_AUTO_TEST_CASE(type_edges_through_external_links_fetched_without_authorization) {
  databricks_fixture f;
  // The emulator's store refuses a link request that carries an Authorization header.
  auto emu = f.emulator();
  auto cursor = open_ok(f.spec(emu, edge_query, {{"disposition", "EXTERNAL_LINKS"}}));
  check_edge_row(drain(*cursor, 10), cursor->columns());
  auto recs = emu.records();
  BOOST_TEST(recs[0]["disposition"] == "EXTERNAL_LINKS");
  BOOST_TEST(recs[0]["links"][0] == 1);
  BOOST_TEST(by_endpoint(emu, links_endpoint)["status"].value("200", 0) == 1);
}

BOOST_AUTO_TEST_CASE(chunks_are_fetched_several_at_once_and_streamed_in_order) {
  databricks_fixture f(count_table(2000));
  for (const char* disposition : {"INLINE", "EXTERNAL_LINKS"}) {
    auto emu = f.emulator({"--chunk-rows", "100", "--latency-ms", "100"});
    auto started = std::chrono::steady_clock::now();
    auto cursor = open_ok(f.spec(emu, "SELECT id, name FROM t ORDER BY id",
                                 {{"disposition", disposition}}));
    auto out = drain(*cursor, 333);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    check_counting(out, 2000);
    BOOST_TEST(out.row(1999)[1].text == "row 2000");
    // 20 chunks at 100 ms (200 ms with their links): one after another would take 2 s (4 s);
    // 4 in flight, about 0.6 s (1.2 s).
    const bool links = std::string(disposition) == "EXTERNAL_LINKS";
    BOOST_TEST(seconds < (links ? 2.5 : 1.5), disposition << " took " << seconds << " s");
    BOOST_TEST_MESSAGE(disposition << " took " << seconds << " s");
    auto served = emu.records()[0]["served"];
    BOOST_REQUIRE_EQUAL(served.size(), 20u);
    for (const auto& n : served)
      BOOST_TEST(n.get<int>() == 1);
  }
}

BOOST_AUTO_TEST_CASE(a_pending_statement_is_polled_until_it_succeeds) {
  databricks_fixture f("CREATE TABLE t(id INTEGER); INSERT INTO t VALUES (1), (2);");
  auto emu = f.emulator({"--pending-polls", "3"});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id", {{"wait_timeout", "0s"}}));
  BOOST_TEST(drain(*cursor, 10).rows.size() == 2u);
  // Submit answered PENDING, three polls RUNNING, the fourth SUCCEEDED.
  BOOST_TEST(by_endpoint(emu, "GET /api/2.0/sql/statements/{id}")["requests"] == 4);
}

BOOST_AUTO_TEST_CASE(throttled_and_unavailable_chunks_are_retried) {
  databricks_fixture f(count_table(50));
  auto emu = f.emulator({"--chunk-rows", "10"});
  emu.fault({{"match", {{"path_contains", "/result/chunks/"}}}, {"nth", 1}, {"status", 429},
             {"headers", {{"Retry-After", "0"}}},
             {"body", R"({"error_code":"TOO_MANY_REQUESTS","message":"slow down"})"}});
  emu.fault({{"match", {{"path_contains", "/result/chunks/"}}}, {"nth", 2}, {"status", 503},
             {"body", R"({"error_code":"TEMPORARILY_UNAVAILABLE","message":"try again"})"}});
  emu.fault({{"match", {{"path_contains", "/result/chunks/"}}}, {"nth", 3}, {"drop", true}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id", {{"chunks_in_flight", 1}}));
  check_counting(drain(*cursor, 7), 50);
  auto statuses = by_endpoint(emu, chunks_endpoint)["status"];
  BOOST_TEST(statuses["429"] == 1);
  BOOST_TEST(statuses["503"] == 1);
}

BOOST_AUTO_TEST_CASE(an_expired_link_is_asked_for_again) {
  databricks_fixture f(count_table(30));
  auto emu = f.emulator({"--chunk-rows", "10"});
  emu.fault({{"match", {{"path_contains", "/presigned/"}}}, {"nth", 2}, {"status", 403},
             {"body", "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id",
                               {{"disposition", "EXTERNAL_LINKS"}, {"chunks_in_flight", 1}}));
  check_counting(drain(*cursor, 100), 30);
  BOOST_TEST(by_endpoint(emu, links_endpoint)["status"]["403"] == 1);
  // Chunk 1's link failed: its chunk was fetched again for a fresh link.
  BOOST_TEST(emu.records()[0]["served"] == json::array({1, 2, 1}));
  // Links that are expired when they arrive: the emulator's own --link-ttl check.
  auto stale = f.emulator({"--chunk-rows", "10", "--link-ttl", "0"});
  auto message = error_of(open_source(f.spec(stale, "SELECT id FROM t",
                                             {{"disposition", "EXTERNAL_LINKS"}})));
  BOOST_TEST(contains(message, "external link failed 3 times"), message);
  BOOST_TEST(contains(message, "Request has expired"), message);
  BOOST_TEST(!contains(message, "X-Signature"), message);  // a presigned URL is a credential
}

BOOST_AUTO_TEST_CASE(oauth_m2m_fetches_a_token_and_a_new_one_after_a_401) {
  databricks_fixture f(count_table(30));
  auto emu = f.emulator({"--chunk-rows", "10"});
  emu.fault({{"match", {{"path_contains", "/result/chunks/"}}}, {"nth", 1}, {"status", 401},
             {"body", R"({"error_code":"401","message":"Token expired."})"}});
  json options = m2m();
  options["chunks_in_flight"] = 1;
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id", options));
  check_counting(drain(*cursor, 100), 30);
  BOOST_TEST(emu.records()[0]["auth"] == "OAUTH");
  BOOST_TEST(by_endpoint(emu, "POST /oidc/v1/token")["requests"] == 2);
  // A wrong secret is a config error naming the option, and the secret is never shown.
  json wrong = m2m();
  wrong["client_secret"] = "not-it-Zz8";
  auto spec = f.spec(emu, "SELECT id FROM t", wrong);
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.client_secret: the token endpoint refused", 0) == 0u, message);
  BOOST_TEST(contains(message, "invalid_client"), message);
  BOOST_TEST(!contains(message, "not-it-Zz8"), message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
}

BOOST_AUTO_TEST_CASE(a_wrong_token_is_a_config_error_without_the_token) {
  databricks_fixture f;
  auto emu = f.emulator();
  auto spec = f.spec(emu, "SELECT id FROM t", {{"token", "dapi-wrong-Yz"}});
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.token: Databricks refused the credentials: Databricks error 401: "
                           "Invalid access token.", 0) == 0u, message);
  BOOST_TEST(!contains(message, "dapi-wrong-Yz"), message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
}

BOOST_AUTO_TEST_CASE(a_failed_statement_is_a_config_error_naming_the_error_code) {
  databricks_fixture f;
  auto emu = f.emulator();
  auto spec = f.spec(emu, "SELECT nope FROM missing_table");
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.query: Databricks error BAD_REQUEST: [TABLE_OR_VIEW_NOT_FOUND] ", 0) == 0u,
             message);
  BOOST_TEST(contains(message, "missing_table"), message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
  // A request Databricks refuses outright (HTTP 400 with its error body).
  emu.fault({{"match", {{"method", "POST"}}}, {"status", 400},
             {"body", R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Catalog 'x' does not exist."})"}});
  BOOST_TEST(error_of(open_source(f.spec(emu, "SELECT id FROM t"))) ==
             "source.query: Databricks error INVALID_PARAMETER_VALUE: Catalog 'x' does not exist.");
  // A warehouse that is unavailable fails the run without blaming the sync file.
  emu.fault({{"match", {{"method", "POST"}}}, {"status", 200},
             {"body", R"({"statement_id":"s1","status":{"state":"FAILED","error":{"error_code":"TEMPORARILY_UNAVAILABLE","message":"warehouse is restarting"}}})"}});
  auto spec_down = f.spec(emu, "SELECT id FROM t");
  auto down = open_source(spec_down);
  BOOST_TEST(error_of(down) ==
             "source: Databricks error TEMPORARILY_UNAVAILABLE: warehouse is restarting");
  BOOST_TEST(!is_config_problem(spec_down, down.error()));
  // A warehouse that does not exist.
  BOOST_TEST(contains(error_of(open_source(f.spec(emu, "SELECT id FROM t", {{"warehouse_id", "nope"}}))),
                      "RESOURCE_DOES_NOT_EXIST"));
}

BOOST_AUTO_TEST_CASE(a_stopped_read_cancels_its_statement) {
  databricks_fixture f(count_table(1000));
  auto emu = f.emulator({"--chunk-rows", "10"});
  {
    auto cursor = open_ok(f.spec(emu, "SELECT id FROM t"));
    packed_rows rows;
    BOOST_REQUIRE(cursor->fetch(rows, 5).ok());
  }
  BOOST_TEST(emu.records()[0]["state"] == "CANCELED");
  BOOST_TEST(by_endpoint(emu, "POST /api/2.0/sql/statements/{id}/cancel")["requests"] == 1);
}

BOOST_AUTO_TEST_CASE(describe_reads_the_columns_without_rows) {
  databricks_fixture f("CREATE TABLE t(id BIGINT, amount DECIMAL(12,2), at TIMESTAMP, v STRING);"
                       "INSERT INTO t VALUES (1, '1.50', '2024-01-01 00:00:00+01:00', 'x');");
  auto emu = f.emulator();
  auto cols = describe_source(f.spec(emu, "SELECT id, amount, at, v FROM t;"));
  BOOST_REQUIRE(cols.ok());
  BOOST_REQUIRE_EQUAL(cols->size(), 4u);
  BOOST_TEST(std::string(to_string((*cols)[0].kind)) == to_string(column_kind::integer));
  BOOST_TEST(std::string(to_string((*cols)[1].kind)) == to_string(column_kind::decimal));
  BOOST_TEST(std::string(to_string((*cols)[2].kind)) == to_string(column_kind::timestamp));
  BOOST_TEST(std::string(to_string((*cols)[3].kind)) == to_string(column_kind::text));
  auto recs = emu.records();
  BOOST_TEST(recs[0]["statement"] == "SELECT * FROM (SELECT id, amount, at, v FROM t) LIMIT 0");
  BOOST_TEST(recs[0]["rows"] == 0);
}

BOOST_AUTO_TEST_CASE(freshness_reads_the_newest_value_through_the_api) {
  databricks_fixture f("CREATE TABLE t(id INTEGER, updated_at TIMESTAMP);"
                       "INSERT INTO t VALUES (1, '2024-01-05 10:00:00+02:00');");
  auto emu = f.emulator();
  freshness_config config{"SELECT max(updated_at) AS \"newest::TIMESTAMP\" FROM t",
                          std::chrono::hours(1)};
  auto at = parse_freshness_text("2024-01-05T08:30:00Z");
  BOOST_REQUIRE(at.has_value());
  auto verdict = check_freshness(f.spec(emu, "SELECT id FROM t"), config, *at);
  BOOST_TEST(!verdict.query_failed, verdict.message);
  BOOST_TEST(verdict.fresh, verdict.message);
  BOOST_TEST(contains(verdict.message, "2024-01-05T08:00:00"), verdict.message);
  BOOST_TEST(!check_freshness(f.spec(emu, "SELECT id FROM t"), config, *at + std::chrono::hours(2))
                  .fresh);
}

BOOST_AUTO_TEST_CASE(the_sync_file_is_checked_before_anything_runs) {
  json source = {{"type", "databricks"}, {"host", "https://dbc-1.cloud.databricks.com"},
                 {"warehouse_id", "wh1"}, {"token", "dapi-Lit3ral-Qz"}, {"client_id", "sp"},
                 {"wait_timeout", "3s"}, {"query", "SELECT 1 AS id"}, {"key", "id"}};
  json sync = {{"name", "dbx"},
               {"source", source},
               {"destination", {{"type", "webhook"}, {"endpoint", "http://127.0.0.1:9/hooks"}}}};
  auto parsed = parse_sync_config(sync.dump(), "/srv/syncs",
                                  [](const std::string&) { return std::optional<std::string>(); });
  BOOST_TEST(!parsed.config);
  std::string all;
  for (const auto& e : parsed.errors.items())
    all += e + "\n";
  BOOST_TEST(contains(all, "source: give one of token (personal access token) or client_id + "
                           "client_secret"), all);
  BOOST_TEST(contains(all, "source.client_secret: is required with OAuth M2M"), all);
  BOOST_TEST(contains(all, R"(source.wait_timeout: must be "0s" or between "5s" and "50s", got "3s")"), all);
  BOOST_TEST(!contains(all, "dapi-Lit3ral-Qz"), all);
}

namespace {

const char* incremental_table =
    "CREATE TABLE t(id INTEGER, v INTEGER, at TIMESTAMP_NTZ);"
    "INSERT INTO t VALUES (1, 9007199254740992, '2026-01-05T09:59:59.999999'),"
    " (2, 9007199254740993, '2026-01-05T10:00:00.000000'),"
    " (3, 9007199254740994, '2026-01-05T10:00:00.000001'), (4, NULL, NULL);";

/// The ids a windowed read of `model` returns with `bound` on `column`, and the statement run.
std::vector<int64_t> window_ids(const databricks_fixture& f, emulator_process& emu,
                                const std::string& model, const std::string& column,
                                const std::string& bound, bool integer,
                                std::string* statement = nullptr) {
  auto spec = f.spec(emu, model);
  spec.query = find_source_type("databricks")->window_query(spec.query, column, integer);
  spec.params = {query_param{bound, integer}};
  auto out = drain(*open_ok(spec), 100);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < out.rows.size(); ++i)
    ids.push_back(out.row(i)[0].integer);
  std::sort(ids.begin(), ids.end());
  if (statement != nullptr)
    *statement = emu.records().back()["statement"].get<std::string>();
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_reads_pass_the_bound_as_a_named_parameter) {
  databricks_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string statement;
  // 2^53 + 1 as a BIGINT parameter. `v + 0` has no column type to lend the bound: only a
  // parameter typed BIGINT compares as a number there (STRING would compare as text).
  auto ids = window_ids(f, emu, "SELECT id, v + 0 AS v, at FROM t", "v", "9007199254740993",
                        true, &statement);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(contains(statement, "`v` >= :backflow_from OR `v` IS NULL"), statement);
  BOOST_TEST(!contains(statement, "9007199254740993"), statement);
  ids = window_ids(f, emu, "SELECT id, v, at FROM t", "at", "2026-01-05T10:00:00.000000", false);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_incremental_bound_with_a_quote_stays_data) {
  databricks_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string statement;
  auto ids = window_ids(f, emu, "SELECT id, v, at FROM t", "at", "x' OR 1=1 --", false, &statement);
  BOOST_TEST(ids == (std::vector<int64_t>{4}), boost::test_tools::per_element());
  BOOST_TEST(!contains(statement, "OR 1=1"), statement);
  auto keys = f.spec(emu, "SELECT id, v FROM t");
  keys.query = find_source_type("databricks")->key_query(keys.query, {"id"});
  BOOST_TEST(contains(keys.query, "SELECT `id` FROM"), keys.query);
  BOOST_TEST(drain(*open_ok(keys), 100).rows.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
