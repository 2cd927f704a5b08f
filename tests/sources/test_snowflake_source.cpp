// Tests of the Snowflake source over real HTTP against `backflow-emulator snowflake`, which runs
// the statements on a SQLite file made here; keys come from the openssl command at test time.
#define BOOST_TEST_MODULE snowflake_source
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
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

/// RSA keys made once for the whole module by the openssl command (each takes a while).
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

/// A SQLite warehouse and a Snowflake emulator serving it, knowing the shared public key.
struct snowflake_fixture {
  temp_dir dir;
  std::string db = dir.file("warehouse.db");
  std::string key = shared_keys().key;
  std::string public_key = shared_keys().public_key;

  explicit snowflake_fixture(const std::string& sql = "CREATE TABLE t(id INTEGER)") { exec(sql); }

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
    std::vector<std::string> args = {"--database", db, "--public-key", public_key,
                                     "--account", "emu", "--user", "reader",
                                     "--token", "oauth-Xq7Zp"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("snowflake", args);
  }

  [[nodiscard]] source_spec spec(const emulator_process& emu, const std::string& query,
                                 json extra = json::object()) const {
    json options = {{"account", "emu"}, {"user", "reader"}, {"url", emu.url()},
                    {"private_key_file", key}, {"token_type", "OAUTH"}, {"timeout", 0},
                    {"partitions_in_flight", 4}};
    options.merge_patch(extra);
    return source_spec{"snowflake", options, query};
  }
};

json statements(emulator_process& emu) { return emu.records(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(snowflake_source)

BOOST_AUTO_TEST_CASE(type_edges_become_the_hand_derived_cells) {
  snowflake_fixture f;
  auto emu = f.emulator();
  const std::string query = R"sql(SELECT
      9007199254740993 AS "id::NUMBER(38,0)",
      '12345678901234567890123456789012345678' AS "big::NUMBER(38,0)",
      '1.2345678901234567890123456789012345678' AS "tiny::NUMBER(38,37)",
      '2' AS "two::NUMBER(10,2)",
      '-0' AS "nz::FLOAT",
      '1969-07-20' AS "d::DATE",
      '2024-03-10 01:59:59-05:00' AS "tz::TIMESTAMP_TZ",
      '2024-11-03 01:30:00+05:45' AS "tz2::TIMESTAMP_TZ",
      '1969-12-31 23:59:59.5' AS "ntz::TIMESTAMP_NTZ",
      '2024-01-05 10:00:00+02:00' AS "ltz::TIMESTAMP_LTZ",
      '13:45:10.25' AS "clock::TIME",
      NULL AS "nothing::TEXT",
      '' AS "empty::TEXT",
      'Zoë 🎉 日本, "x"' AS "unicode::TEXT",
      '{"a":[1,2.50,12345678901234567890123],"b":{},"s":"x y"}' AS "v::VARIANT",
      x'00ff10' AS "bin::BINARY",
      1 AS "ok::BOOLEAN",
      substr(hex(zeroblob(51200)), 1, 102400) AS "long::TEXT",
      'tab' || char(9) || 'nl' || char(10) || char(1) || '\' AS "escaped::TEXT")sql";
  auto cursor = open_ok(f.spec(emu, query));
  const auto& cols = cursor->columns();
  BOOST_REQUIRE_EQUAL(cols.size(), 19u);
  BOOST_TEST(cols[0].name == "id");
  BOOST_TEST(std::string(to_string(cols[0].kind)) == to_string(column_kind::integer));
  BOOST_TEST(std::string(to_string(cols[2].kind)) == to_string(column_kind::decimal));
  BOOST_TEST(std::string(to_string(cols[6].kind)) == to_string(column_kind::timestamp));
  BOOST_TEST(std::string(to_string(cols[15].kind)) == to_string(column_kind::bytes));
  auto out = drain(*cursor, 10);
  BOOST_REQUIRE_EQUAL(out.rows.size(), 1u);
  auto row = out.row(0);
  BOOST_TEST((row[0].type == cell_type::integer && row[0].integer == 9007199254740993LL));
  BOOST_TEST((row[1].type == cell_type::decimal &&
              row[1].text == "12345678901234567890123456789012345678"));
  BOOST_TEST((row[2].type == cell_type::decimal &&
              row[2].text == "1.2345678901234567890123456789012345678"));
  BOOST_TEST((row[3].type == cell_type::decimal && row[3].text == "2.00"));
  // Snowflake prints FLOAT -0 as "-0"; the canonical encoding has one zero (row_codec.cpp).
  BOOST_TEST((row[4].type == cell_type::real && row[4].real == 0.0 && !std::signbit(row[4].real)));
  BOOST_TEST((row[5].type == cell_type::timestamp && row[5].text == "1969-07-20"));
  // A TIMESTAMP_TZ is its instant in UTC, as every source writes a zoned timestamp.
  BOOST_TEST(row[6].text == "2024-03-10T06:59:59+00:00");
  BOOST_TEST(row[7].text == "2024-11-02T19:45:00+00:00");
  BOOST_TEST(row[8].text == "1969-12-31T23:59:59.5");
  BOOST_TEST(row[9].text == "2024-01-05T08:00:00+00:00");
  BOOST_TEST((row[10].type == cell_type::text && row[10].text == "13:45:10.25"));
  BOOST_TEST(row[11].is_null());
  BOOST_TEST((row[12].type == cell_type::text && row[12].text.empty()));
  BOOST_TEST(row[13].text == "Zoë 🎉 日本, \"x\"");
  // Snowflake pretty-prints VARIANT; the cell is the JSON without that whitespace, numbers exact.
  BOOST_TEST(row[14].text == R"({"a":[1,2.50,12345678901234567890123],"b":{},"s":"x y"})");
  BOOST_TEST((row[15].type == cell_type::bytes && row[15].text == std::string("\x00\xff\x10", 3)));
  BOOST_TEST((row[16].type == cell_type::boolean_true));
  BOOST_TEST((row[17].text.size() == 102400u && row[17].text.find_first_not_of('0') == std::string::npos));
  BOOST_TEST(row[18].text == std::string("tab\tnl\n\x01\\"));  // sent as JSON escapes
  auto recs = statements(emu);
  BOOST_REQUIRE_EQUAL(recs.size(), 1u);
  BOOST_TEST(recs[0]["auth"] == "KEYPAIR_JWT");
}

BOOST_AUTO_TEST_CASE(partitions_are_fetched_at_once_and_streamed_in_order) {
  snowflake_fixture f(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
      "INSERT INTO t SELECT i, 'row ' || i FROM n;");
  auto emu = f.emulator({"--partition-rows", "100", "--latency-ms", "100"});
  auto started = std::chrono::steady_clock::now();
  auto cursor = open_ok(f.spec(emu, "SELECT id, name FROM t ORDER BY id"));
  auto out = drain(*cursor, 333);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_REQUIRE_EQUAL(out.rows.size(), 2000u);
  for (size_t i = 0; i < out.rows.size(); ++i) {
    auto row = out.row(i);
    BOOST_REQUIRE_EQUAL(row[0].integer, static_cast<int64_t>(i + 1));
  }
  // 20 partitions at 100 ms each: one after another would take 2 s.
  BOOST_TEST(seconds < 1.5, "took " << seconds << " s");
  auto served = statements(emu)[0]["served"];
  BOOST_REQUIRE_EQUAL(served.size(), 20u);
  for (const auto& n : served)
    BOOST_TEST(n.get<int>() == 1);
}

BOOST_AUTO_TEST_CASE(a_slow_statement_is_polled_until_it_has_finished) {
  snowflake_fixture f("CREATE TABLE t(id INTEGER); INSERT INTO t VALUES (1), (2);");
  auto emu = f.emulator({"--async-after", "0", "--latency-ms", "20"});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id"));
  BOOST_TEST(drain(*cursor, 10).rows.size() == 2u);
  auto requests = emu.requests();
  BOOST_TEST(requests["by_endpoint"]["POST /api/v2/statements"]["status"]["202"] == 1);
  BOOST_TEST(requests["by_endpoint"].contains("GET /api/v2/statements/{handle}"));
}

BOOST_AUTO_TEST_CASE(throttled_and_failing_partitions_are_retried) {
  snowflake_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--partition-rows", "10"});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 1}, {"status", 429},
             {"headers", {{"Retry-After", "0"}}}});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 2}, {"status", 503},
             {"headers", {{"Retry-After", "0"}}}});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 3}, {"drop", true}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t ORDER BY id", {{"partitions_in_flight", 1}}));
  auto out = drain(*cursor, 7);
  BOOST_REQUIRE_EQUAL(out.rows.size(), 50u);
  for (size_t i = 0; i < 50; ++i)
    BOOST_REQUIRE_EQUAL(out.row(i)[0].integer, static_cast<int64_t>(i + 1));
  auto statuses = emu.requests()["by_endpoint"]["GET /api/v2/statements/{handle}"]["status"];
  BOOST_TEST(statuses["429"] == 1);
  BOOST_TEST(statuses["503"] == 1);
}

BOOST_AUTO_TEST_CASE(an_expired_token_mid_run_is_signed_again) {
  snowflake_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--partition-rows", "10"});
  emu.fault({{"match", {{"method", "GET"}}}, {"nth", 1}, {"status", 401},
             {"body", R"({"code":"390198","message":"Keypair access token expired."})"}});
  auto cursor = open_ok(f.spec(emu, "SELECT id FROM t", {{"partitions_in_flight", 1}}));
  BOOST_TEST(drain(*cursor, 100).rows.size() == 30u);
  auto statuses = emu.requests()["by_endpoint"]["GET /api/v2/statements/{handle}"]["status"];
  BOOST_TEST(statuses["401"] == 1);
}

BOOST_AUTO_TEST_CASE(a_refused_statement_is_a_config_error_naming_snowflakes_code) {
  snowflake_fixture f;
  auto emu = f.emulator();
  auto spec = f.spec(emu, "SELECT nope FROM missing_table");
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.query: Snowflake error 002003 (SQL state 02000): ", 0) == 0u,
             message);
  BOOST_TEST(contains(message, "no such table: missing_table"), message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
  // A statement that fails on Snowflake's side with its own error.
  emu.fault({{"match", {{"method", "POST"}}}, {"status", 422},
             {"body", R"({"code":"100038","sqlState":"22018","message":"Numeric value 'x' is not recognized"})"}});
  auto failed = open_source(f.spec(emu, "SELECT id FROM t"));
  BOOST_TEST(error_of(failed) ==
             "source.query: Snowflake error 100038 (SQL state 22018): Numeric value 'x' is not "
             "recognized");
  // Two statements in one: Snowflake's statement count check.
  BOOST_TEST(contains(error_of(open_source(f.spec(emu, "SELECT 1; SELECT 2"))), "000008"));
}

BOOST_AUTO_TEST_CASE(wrong_credentials_are_config_errors_without_secrets) {
  snowflake_fixture f;
  auto emu = f.emulator();
  // Another key than the one the emulator knows.
  auto spec = f.spec(emu, "SELECT id FROM t", {{"private_key_file", shared_keys().other}});
  auto opened = open_source(spec);
  auto message = error_of(opened);
  BOOST_TEST(message.rfind("source.private_key_file: Snowflake refused the credentials: Snowflake "
                           "error 390144: JWT token is invalid.", 0) == 0u, message);
  BOOST_TEST(is_config_problem(spec, opened.error()));
  // The right account but another user: iss and sub do not match.
  BOOST_TEST(contains(error_of(open_source(f.spec(emu, "SELECT id FROM t", {{"user", "other"}}))),
                      "390144"));
  // Tokens: the configured one works, another is refused and not repeated.
  json token = {{"private_key_file", nullptr}, {"token", "oauth-Xq7Zp"}};
  BOOST_TEST(drain(*open_ok(f.spec(emu, "SELECT id FROM t", token)), 10).rows.size() == 0u);
  token["token"] = "wrong-s3cret-Yz";
  auto bad = error_of(open_source(f.spec(emu, "SELECT id FROM t", token)));
  BOOST_TEST(bad.rfind("source.token: Snowflake refused the credentials: Snowflake error 390303", 0) == 0u, bad);
  BOOST_TEST(!contains(bad, "wrong-s3cret-Yz"), bad);
}

BOOST_AUTO_TEST_CASE(an_encrypted_key_needs_its_passphrase_which_is_never_shown) {
  snowflake_fixture f("CREATE TABLE t(id INTEGER); INSERT INTO t VALUES (7);");
  auto emu = f.emulator();
  std::string encrypted = f.dir.file("encrypted.pem");
  run("openssl pkcs8 -topk8 -v2 aes-256-cbc -in " + f.key + " -out " + encrypted +
      " -passout pass:pa55-Qw9");
  json options = {{"private_key_file", encrypted}, {"private_key_passphrase", "pa55-Qw9"}};
  BOOST_TEST(drain(*open_ok(f.spec(emu, "SELECT id FROM t", options)), 10).rows.size() == 1u);
  options["private_key_passphrase"] = "not-it-Zz8";
  auto message = error_of(open_source(f.spec(emu, "SELECT id FROM t", options)));
  BOOST_TEST(message.rfind("source.private_key_file: ", 0) == 0u, message);
  BOOST_TEST(!contains(message, "not-it-Zz8"), message);
}

BOOST_AUTO_TEST_CASE(a_stopped_read_cancels_its_statement) {
  snowflake_fixture f(
      "CREATE TABLE t(id INTEGER);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
      "INSERT INTO t SELECT i FROM n;");
  auto emu = f.emulator({"--partition-rows", "10"});
  {
    auto cursor = open_ok(f.spec(emu, "SELECT id FROM t"));
    packed_rows rows;
    BOOST_REQUIRE(cursor->fetch(rows, 5).ok());
  }
  auto recs = statements(emu);
  BOOST_TEST(recs[0]["state"] == "cancelled");
  BOOST_TEST(emu.requests()["by_endpoint"]["POST /api/v2/statements/{handle}/cancel"]["requests"] == 1);
}

BOOST_AUTO_TEST_CASE(describe_reads_the_columns_without_rows) {
  snowflake_fixture f("CREATE TABLE t(id INTEGER, amount NUMBER(12,2), at TIMESTAMP_TZ, v JSON);"
                      "INSERT INTO t VALUES (1, '1.50', '2024-01-01 00:00:00+01:00', '[]');");
  auto emu = f.emulator();
  auto cols = describe_source(f.spec(emu, "SELECT id, amount, at, v FROM t;"));
  BOOST_REQUIRE(cols.ok());
  BOOST_REQUIRE_EQUAL(cols->size(), 4u);
  BOOST_TEST(std::string(to_string((*cols)[0].kind)) == to_string(column_kind::integer));
  BOOST_TEST(std::string(to_string((*cols)[1].kind)) == to_string(column_kind::decimal));
  BOOST_TEST(std::string(to_string((*cols)[2].kind)) == to_string(column_kind::timestamp));
  BOOST_TEST(std::string(to_string((*cols)[3].kind)) == to_string(column_kind::text));
  auto recs = statements(emu);
  BOOST_TEST(recs[0]["statement"] == "SELECT * FROM (SELECT id, amount, at, v FROM t) LIMIT 0");
  BOOST_TEST(recs[0]["rows"] == 0);
}

BOOST_AUTO_TEST_CASE(freshness_reads_the_newest_value_through_the_sql_api) {
  snowflake_fixture f("CREATE TABLE t(id INTEGER, updated_at TIMESTAMP_LTZ);"
                      "INSERT INTO t VALUES (1, '2024-01-05 10:00:00+02:00');");
  auto emu = f.emulator();
  freshness_config config{"SELECT max(updated_at) AS \"newest::TIMESTAMP_LTZ\" FROM t",
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
    "CREATE TABLE t(id INTEGER, v INTEGER, at TIMESTAMP_NTZ);"
    "INSERT INTO t VALUES (1, 9007199254740992, '2026-01-05T09:59:59.999999'),"
    " (2, 9007199254740993, '2026-01-05T10:00:00.000000'),"
    " (3, 9007199254740994, '2026-01-05T10:00:00.000001'), (4, NULL, NULL);";

/// The ids a windowed read returns with `bound` on `column`, and the statement Snowflake got.
std::vector<int64_t> window_ids(const snowflake_fixture& f, emulator_process& emu,
                                const std::string& column, const std::string& bound,
                                bool integer, std::string* statement = nullptr) {
  auto spec = f.spec(emu, "SELECT id, v, at FROM t");
  spec.query = find_source_type("snowflake")->window_query(spec.query, column, integer);
  spec.params = {query_param{bound, integer}};
  auto out = drain(*open_ok(spec), 100);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < out.rows.size(); ++i)
    ids.push_back(out.row(i)[0].integer);
  std::sort(ids.begin(), ids.end());
  if (statement != nullptr)
    *statement = statements(emu).back()["statement"].get<std::string>();
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_reads_bind_the_bound) {
  snowflake_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string statement;
  // 2^53 + 1 as a FIXED binding: a double would make it 2^53 and read row 1 too.
  auto ids = window_ids(f, emu, "v", "9007199254740993", true, &statement);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(contains(statement, "\"v\" >= ? OR \"v\" IS NULL"), statement);
  BOOST_TEST(!contains(statement, "9007199254740993"), statement);
  ids = window_ids(f, emu, "at", "2026-01-05T10:00:00.000000", false);
  BOOST_TEST(ids == (std::vector<int64_t>{2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_incremental_bound_with_a_quote_stays_data) {
  snowflake_fixture f(incremental_table);
  auto emu = f.emulator();
  std::string statement;
  auto ids = window_ids(f, emu, "at", "x' OR 1=1 --", false, &statement);
  BOOST_TEST(ids == (std::vector<int64_t>{4}), boost::test_tools::per_element());
  BOOST_TEST(!contains(statement, "OR 1=1"), statement);
  auto keys = f.spec(emu, "SELECT id, v FROM t");
  keys.query = find_source_type("snowflake")->key_query(keys.query, {"id"});
  BOOST_TEST(drain(*open_ok(keys), 100).rows.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
