// Tests of the BigQuery source over real HTTP against `backflow-emulator bigquery`, which runs the
// queries on a SQLite file made here; the service-account key comes from the openssl command.
#define BOOST_TEST_MODULE bigquery_source
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

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

void run(const std::string& command) {
  BOOST_REQUIRE_MESSAGE(std::system((command + " 2>/dev/null").c_str()) == 0, command);
}

/// RSA keys made once for the module by the openssl command.
struct keys {
  temp_dir dir;
  std::string key = dir.file("key.pem");
  std::string public_key = dir.file("pub.pem");
  std::string other = dir.file("other.pem");  ///< a key the emulator does not know

  keys() {
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key);
    run("openssl pkey -in " + key + " -pubout -out " + public_key);
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + other);
  }
};

const keys& shared_keys() {
  static const keys made;
  return made;
}

/// A SQLite warehouse, a BigQuery emulator serving it, and a service-account key file.
struct bigquery_fixture {
  temp_dir dir;
  std::string db = dir.file("warehouse.db");

  explicit bigquery_fixture(const std::string& sql = "CREATE TABLE t(id INTEGER)") { exec(sql); }

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
    std::vector<std::string> args = {"--database", db, "--public-key", shared_keys().public_key,
                                     "--token", "ya29.given-Xq7Zp"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("bigquery", args);
  }

  /// A service-account key file whose token_uri is the emulator's, with `pem_file`'s key.
  [[nodiscard]] std::string key_file(const emulator_process& emu,
                                     const std::string& pem_file = shared_keys().key) const {
    std::string path = dir.file("sa-" + std::to_string(std::hash<std::string>()(pem_file)) + ".json");
    json key = {{"type", "service_account"},
                {"project_id", "proj"},
                {"private_key_id", "k1"},
                {"private_key", read_file(pem_file)},
                {"client_email", "reader@proj.iam.gserviceaccount.com"},
                {"token_uri", emu.url("/token")}};
    write_file(path, key.dump());
    return path;
  }

  [[nodiscard]] source_spec spec(const emulator_process& emu, const std::string& query,
                                 json extra = json::object()) const {
    json options = {{"project", "proj"}, {"endpoint", emu.url()},
                    {"credentials_file", key_file(emu)}, {"page_rows", 10000},
                    {"timeout_ms", 10000}};
    options.merge_patch(extra);
    return source_spec{"bigquery", options, query};
  }
};

std::string kind(const column& c) { return to_string(c.kind); }

}  // namespace

BOOST_AUTO_TEST_SUITE(bigquery_source)

BOOST_AUTO_TEST_CASE(type_edges_become_the_hand_derived_cells) {
  bigquery_fixture f;
  auto emu = f.emulator();
  const std::string query = R"sql(SELECT
      9007199254740993 AS "id::INT64",
      '12345678901234567890123456789.123456789' AS "num::NUMERIC",
      '-578960446186580977117854925043439539266.34992332820282019728792003956564819968' AS "big::BIGNUMERIC",
      '-0' AS "nz::FLOAT64",
      'NaN' AS "nan::FLOAT64",
      '1969-07-20' AS "d::DATE",
      '1969-07-20 20:17:40.123456' AS "dt::DATETIME",
      '2024-03-10 01:59:59.250001-05:00' AS "ts::TIMESTAMP",
      '1969-12-31 23:59:59.5+00:00' AS "old::TIMESTAMP",
      '13:45:10.25' AS "clock::TIME",
      NULL AS "nothing::STRING",
      '' AS "empty::STRING",
      'Zoë 🎉 日本, "x"' AS "unicode::STRING",
      '{"a":[1,2.50,12345678901234567890123],"b":{},"s":"x y"}' AS "j::JSON",
      x'00ff10' AS "bin::BYTES",
      1 AS "ok::BOOL",
      '{"a":"9007199254740993","n":null,"b":["x","y"],"t":"2024-01-01 00:00:00Z"}' AS "r::STRUCT<a INT64, n STRING, b ARRAY<STRING>, t TIMESTAMP>",
      '[1,2,3]' AS "arr::ARRAY<INT64>",
      substr(hex(zeroblob(51200)), 1, 102400) AS "long::STRING")sql";
  auto cursor = open_ok(f.spec(emu, query));
  const auto& cols = cursor->columns();
  BOOST_REQUIRE_EQUAL(cols.size(), 19u);
  BOOST_TEST(cols[0].name == "id");
  BOOST_TEST(kind(cols[0]) == to_string(column_kind::integer));
  BOOST_TEST(kind(cols[1]) == to_string(column_kind::decimal));
  BOOST_TEST(kind(cols[3]) == to_string(column_kind::real));
  BOOST_TEST(kind(cols[7]) == to_string(column_kind::timestamp));
  BOOST_TEST(kind(cols[14]) == to_string(column_kind::bytes));
  BOOST_TEST(kind(cols[16]) == to_string(column_kind::text));
  auto out = drain(*cursor, 10);
  BOOST_REQUIRE_EQUAL(out.rows.size(), 1u);
  auto row = out.row(0);
  // INT64 arrives as the string "9007199254740993" and stays exact.
  BOOST_TEST((row[0].type == cell_type::integer && row[0].integer == 9007199254740993LL));
  BOOST_TEST((row[1].type == cell_type::decimal &&
              row[1].text == "12345678901234567890123456789.123456789"));
  BOOST_TEST((row[2].type == cell_type::decimal &&
              row[2].text == "-578960446186580977117854925043439539266.34992332820282019728792003956564819968"));
  BOOST_TEST((row[3].type == cell_type::real && row[3].real == 0.0 && !std::signbit(row[3].real)));
  BOOST_TEST((row[4].type == cell_type::real && std::isnan(row[4].real)));
  BOOST_TEST((row[5].type == cell_type::timestamp && row[5].text == "1969-07-20"));
  BOOST_TEST((row[6].type == cell_type::timestamp && row[6].text == "1969-07-20T20:17:40.123456"));
  // 01:59:59.250001 at -05:00 is 06:59:59.250001 UTC, to the microsecond.
  BOOST_TEST(row[7].text == "2024-03-10T06:59:59.250001+00:00");
  BOOST_TEST(row[8].text == "1969-12-31T23:59:59.5+00:00");
  BOOST_TEST((row[9].type == cell_type::text && row[9].text == "13:45:10.25"));
  BOOST_TEST(row[10].is_null());
  BOOST_TEST((row[11].type == cell_type::text && row[11].text.empty()));
  BOOST_TEST(row[12].text == "Zoë 🎉 日本, \"x\"");
  BOOST_TEST(row[13].text == R"({"a":[1,2.50,12345678901234567890123],"b":{},"s":"x y"})");
  BOOST_TEST((row[14].type == cell_type::bytes && row[14].text == std::string("\x00\xff\x10", 3)));
  BOOST_TEST((row[15].type == cell_type::boolean_true));
  BOOST_TEST(row[16].text ==
             R"({"a":9007199254740993,"n":null,"b":["x","y"],"t":"2024-01-01T00:00:00+00:00"})");
  BOOST_TEST(row[17].text == "[1,2,3]");
  BOOST_TEST((row[18].text.size() == 102400u &&
              row[18].text.find_first_not_of('0') == std::string::npos));
  auto jobs = emu.records();
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  BOOST_TEST(jobs[0]["auth"] == "service_account");
}

BOOST_AUTO_TEST_CASE(pages_are_read_in_order_after_pending_polls) {
  bigquery_fixture f(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
      "INSERT INTO t SELECT i, 'row ' || i FROM n;");
  auto emu = f.emulator({"--page-rows", "100", "--pending-polls", "2"});
  auto cursor = open_ok(f.spec(emu, "SELECT id, name FROM t ORDER BY id", {{"location", "EU"}, {"dataset", "marts"}}));
  auto out = drain(*cursor, 333);
  BOOST_REQUIRE_EQUAL(out.rows.size(), 2000u);
  for (size_t i = 0; i < out.rows.size(); ++i)
    BOOST_REQUIRE_EQUAL(out.row(i)[0].integer, static_cast<int64_t>(i + 1));
  auto jobs = emu.records();
  BOOST_TEST(jobs[0]["pages"].size() == 20u);
  BOOST_TEST(jobs[0]["location"] == "EU");
  BOOST_TEST(jobs[0]["dataset"] == "marts");
  BOOST_TEST(jobs[0]["state"] == "done");
  auto gets = emu.requests()["by_endpoint"]["GET /bigquery/v2/projects/{projectId}/queries/{jobId}"];
  BOOST_TEST(gets["requests"] == 21);  // 2 polls (one was jobs.query's answer) + 19 pages
}

BOOST_AUTO_TEST_CASE(throttled_and_failing_pages_are_retried) {
  bigquery_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--page-rows", "10"});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 1}, {"status", 429},
             {"headers", {{"Retry-After", "0"}}},
             {"body", R"({"error":{"code":429,"message":"Exceeded rate limits","errors":[{"reason":"rateLimitExceeded"}]}})"}});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 2}, {"status", 503},
             {"headers", {{"Retry-After", "0"}}},
             {"body", R"({"error":{"code":503,"message":"Backend error","errors":[{"reason":"backendError"}]}})"}});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 3}, {"drop", true}});
  // BigQuery's other throttle: 403 with reason rateLimitExceeded, retried too.
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 4}, {"status", 403},
             {"body", R"({"error":{"code":403,"message":"Exceeded rate limits: too many api requests per user per method","errors":[{"reason":"rateLimitExceeded"}]}})"}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id"));
  auto out = drain(*cursor, 7);
  BOOST_REQUIRE_EQUAL(out.rows.size(), 50u);
  for (size_t i = 0; i < 50; ++i)
    BOOST_REQUIRE_EQUAL(out.row(i)[0].integer, static_cast<int64_t>(i + 1));
  auto statuses = emu.requests()["by_endpoint"]
                                ["GET /bigquery/v2/projects/{projectId}/queries/{jobId}"]["status"];
  BOOST_TEST(statuses["429"] == 1);
  BOOST_TEST(statuses["503"] == 1);
  BOOST_TEST(statuses["403"] == 1);
}

BOOST_AUTO_TEST_CASE(an_expired_token_mid_run_is_exchanged_again) {
  bigquery_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--page-rows", "10"});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 1}, {"status", 401},
             {"body", R"({"error":{"code":401,"message":"Request had invalid authentication credentials.","errors":[{"reason":"authError"}],"status":"UNAUTHENTICATED"}})"}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t"));
  BOOST_TEST(drain(*cursor, 100).rows.size() == 30u);
  auto by = emu.requests()["by_endpoint"];
  BOOST_TEST(by["GET /bigquery/v2/projects/{projectId}/queries/{jobId}"]["status"]["401"] == 1);
  BOOST_TEST(by["POST /token"]["requests"] == 2);
}

BOOST_AUTO_TEST_CASE(a_refused_query_is_a_config_error_naming_googles_reason) {
  bigquery_fixture f;
  auto emu = f.emulator();
  auto spec = f.spec(emu, "SELECT nope FROM missing_table");
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message == "source.query: BigQuery error notFound: Not found: Table missing_table "
                        "was not found in location US", message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
  auto syntax = error_of(open_source(f.spec(emu, "SELEC 1")));
  BOOST_TEST(syntax.rfind("source.query: BigQuery error invalidQuery: Syntax error: ", 0) == 0u, syntax);
  // Google's own answer for a query it refuses.
  emu.fault({{"match", {{"method", "POST"}, {"path_contains", "/queries"}}}, {"status", 400},
             {"body", R"({"error":{"code":400,"message":"Unrecognized name: nope at [1:8]","errors":[{"message":"Unrecognized name: nope at [1:8]","domain":"global","reason":"invalidQuery","location":"q","locationType":"parameter"}],"status":"INVALID_ARGUMENT"}})"}});
  BOOST_TEST(error_of(open_source(f.spec(emu, "SELECT id FROM t"))) ==
             "source.query: BigQuery error invalidQuery: Unrecognized name: nope at [1:8]");
  // An exhausted quota (403 quotaExceeded) is not a config error, nor a credentials problem.
  emu.fault({{"match", {{"path_contains", "/queries"}}}, {"status", 403},
             {"body", R"({"error":{"code":403,"message":"Quota exceeded: Your project exceeded quota for free query bytes scanned.","errors":[{"reason":"quotaExceeded"}]}})"}});
  auto quota_spec = f.spec(emu, "SELECT id FROM t");
  auto quota = open_source(quota_spec);
  BOOST_TEST(error_of(quota) == "source: BigQuery API: BigQuery error quotaExceeded: Quota "
                                "exceeded: Your project exceeded quota for free query bytes scanned.");
  BOOST_TEST(!is_config_problem(quota_spec, quota.error()));
}

BOOST_AUTO_TEST_CASE(wrong_credentials_are_config_errors_without_secrets) {
  bigquery_fixture f;
  auto emu = f.emulator();
  auto spec = f.spec(emu, "SELECT id FROM t", {{"credentials_file", f.key_file(emu, shared_keys().other)}});
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.credentials_file: the token exchange failed: ", 0) == 0u, message);
  BOOST_TEST(contains(message, "Invalid JWT Signature"), message);
  BOOST_TEST(!contains(message, "PRIVATE KEY"), message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
  // A given access token: the right one works, another is refused and never repeated.
  json token = {{"credentials_file", nullptr}, {"access_token", "ya29.given-Xq7Zp"}};
  BOOST_TEST(drain(*open_ok(f.spec(emu, "SELECT id FROM t", token)), 10).rows.size() == 0u);
  token["access_token"] = "ya29.wrong-s3cret";
  auto bad_spec = f.spec(emu, "SELECT id FROM t", token);
  auto bad = open_source(bad_spec);
  BOOST_TEST(error_of(bad).rfind("source.access_token: BigQuery refused the credentials: BigQuery "
                                 "error authError: ", 0) == 0u, error_of(bad));
  BOOST_TEST(!contains(error_of(bad), "wrong-s3cret"));
  BOOST_TEST(is_config_problem(bad_spec, bad.error()));
  // Not a key file at all.
  write_file(f.dir.file("nokey.json"), R"({"type":"authorized_user"})");
  BOOST_TEST(contains(error_of(open_source(f.spec(emu, "SELECT 1", {{"credentials_file", f.dir.file("nokey.json")}}))),
                      "has no \"client_email\""));
}

BOOST_AUTO_TEST_CASE(a_stopped_read_cancels_its_job) {
  bigquery_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--page-rows", "10"});
  {
    auto cursor = open_ok(f.spec(emu, "SELECT id FROM t"));
    packed_rows rows;
    BOOST_REQUIRE(cursor->fetch(rows, 5).ok());
  }
  BOOST_TEST(emu.records()[0]["state"] == "cancelled");
  BOOST_TEST(emu.requests()["by_endpoint"]["POST /bigquery/v2/projects/{projectId}/jobs/{jobId}/cancel"]
                                          ["requests"] == 1);
  // A read to the end cancels nothing, nor does leaving a one-page result early.
  drain(*open_ok(f.spec(emu, "SELECT id FROM t")), 1000);
  BOOST_TEST(emu.records()[1]["state"] == "done");
  {
    auto cursor = open_ok(f.spec(emu, "SELECT id FROM t LIMIT 3"));
    packed_rows rows;
    BOOST_REQUIRE(cursor->fetch(rows, 1).ok());
  }
  BOOST_TEST(emu.records()[2]["state"] == "done");
  BOOST_TEST(emu.requests()["by_endpoint"]["POST /bigquery/v2/projects/{projectId}/jobs/{jobId}/cancel"]
                                          ["requests"] == 1);
}

BOOST_AUTO_TEST_CASE(describe_reads_the_columns_without_rows) {
  bigquery_fixture f("CREATE TABLE t(id INTEGER, amount NUMERIC, at TIMESTAMP, v JSON);"
                     "INSERT INTO t VALUES (1, '1.50', '2024-01-01 00:00:00+01:00', '[]');");
  auto emu = f.emulator();
  auto cols = describe_source(f.spec(emu, "SELECT id, amount, at, v FROM t;"));
  BOOST_REQUIRE(cols.ok());
  BOOST_REQUIRE_EQUAL(cols->size(), 4u);
  BOOST_TEST(kind((*cols)[0]) == to_string(column_kind::integer));
  BOOST_TEST(kind((*cols)[1]) == to_string(column_kind::decimal));
  BOOST_TEST(kind((*cols)[2]) == to_string(column_kind::timestamp));
  BOOST_TEST(kind((*cols)[3]) == to_string(column_kind::text));
  auto jobs = emu.records();
  BOOST_TEST(jobs[0]["query"] == "SELECT * FROM (SELECT id, amount, at, v FROM t) LIMIT 0");
  BOOST_TEST(jobs[0]["rows"] == 0);
}

BOOST_AUTO_TEST_CASE(freshness_reads_the_newest_value_through_the_api) {
  bigquery_fixture f("CREATE TABLE t(id INTEGER, updated_at TIMESTAMP);"
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

namespace {

const char* incremental_table =
    "CREATE TABLE t(id INTEGER, v INTEGER, at DATETIME);"
    "INSERT INTO t VALUES (1, 9007199254740992, '2026-01-05T09:59:59.999999'),"
    " (2, 9007199254740993, '2026-01-05T10:00:00.000000'),"
    " (3, 9007199254740994, '2026-01-05T10:00:00.000001'), (4, NULL, NULL);";

/// The ids a windowed read returns with `bound` on `column`, and the SQL BigQuery got.
std::vector<int64_t> window_ids(const bigquery_fixture& f, emulator_process& emu,
                                const std::string& column, const std::string& bound,
                                bool integer, std::string* sql = nullptr) {
  auto spec = f.spec(emu, "SELECT id, v, at FROM t");
  spec.query = find_source_type("bigquery")->window_query(spec.query, column, integer);
  spec.params = {query_param{bound, integer}};
  auto out = drain(*open_ok(spec), 100);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < out.rows.size(); ++i)
    ids.push_back(out.row(i)[0].integer);
  std::sort(ids.begin(), ids.end());
  if (sql != nullptr)
    *sql = emu.records().back()["query"].get<std::string>();
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_reads_pass_the_bound_as_a_query_parameter) {
  bigquery_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string sql;
  // 2^53 + 1 as an INT64 parameter (its digits as a string): a double would read row 1 too.
  auto ids = window_ids(f, emu, "v", "9007199254740993", true, &sql);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(contains(sql, "`v` >= @backflow_from OR `v` IS NULL"), sql);
  BOOST_TEST(!contains(sql, "9007199254740993"), sql);
  ids = window_ids(f, emu, "at", "2026-01-05T10:00:00.000000", false);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_incremental_bound_with_a_quote_stays_data) {
  bigquery_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string sql;
  auto ids = window_ids(f, emu, "at", "x' OR 1=1 --", false, &sql);
  BOOST_TEST(ids == (std::vector<int64_t>{4}), boost::test_tools::per_element());
  BOOST_TEST(!contains(sql, "OR 1=1"), sql);
  auto keys = f.spec(emu, "SELECT id, v FROM t");
  keys.query = find_source_type("bigquery")->key_query(keys.query, {"id"});
  BOOST_TEST(contains(keys.query, "SELECT `id` FROM"), keys.query);
  BOOST_TEST(drain(*open_ok(keys), 100).rows.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
