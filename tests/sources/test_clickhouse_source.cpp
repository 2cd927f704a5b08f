// Tests of the ClickHouse source against the throwaway server (scripts/clickhouse-test-server.sh).
#define BOOST_TEST_MODULE clickhouse_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include <unistd.h>

#include "connectors/sources/clickhouse_http.hpp"
#include "connectors/sources/clickhouse_window.hpp"
#include "tests/sources/clickhouse_server.hpp"
#include "tests/sources/clickhouse_type_edges.hpp"
#include "tests/sources/source_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

clickhouse_server& server() {
  static clickhouse_server instance;
  return instance;
}

/// Drains a cursor until it ends or fails; returns the failure text ("" at a clean end).
std::string read_until_end(source_cursor& cursor, size_t& rows) {
  packed_rows out;
  for (;;) {
    out.clear();
    auto got = cursor.fetch(out, 5000);
    if (!got)
      return got.error().message;
    if (*got == 0)
      return "";
    rows += *got;
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(type_edges_read_as_hand_derived_cells) {
  std::string table = server().database() + ".type_edges";
  create_clickhouse_type_edges([](const std::string& sql) { server().exec(sql); }, table);
  auto expected = clickhouse_type_edges_expected();
  auto cursor = open_ok(server().spec(clickhouse_type_edges_query(table)));
  auto all = drain(*cursor, 1);
  BOOST_REQUIRE_EQUAL(all.rows.size(), expected.size());
  BOOST_REQUIRE_EQUAL(cursor->columns().size(), expected[0].size());
  for (size_t r = 0; r < expected.size(); ++r) {
    auto row = all.row(r);
    for (size_t c = 0; c < expected[r].size(); ++c) {
      const auto& want = expected[r][c];
      BOOST_TEST(cursor->columns()[c].name == want.column);
      BOOST_TEST(static_cast<int>(row[c].type) == static_cast<int>(want.type),
                 "row " << r + 1 << " column " << want.column);
      BOOST_TEST(cell_to_string(row[c]) == want.text, "row " << r + 1 << " column " << want.column);
    }
  }
}

BOOST_AUTO_TEST_CASE(describe_reads_no_rows_and_matches_open) {
  std::string table = server().database() + ".described";
  server().exec("CREATE TABLE " + table + " (id UInt64, n Nullable(Decimal(10, 2)), "
                "ts DateTime, a Array(String), s LowCardinality(String)) ENGINE = Memory");
  // throwIf would fail the query if DESCRIBE ran it.
  auto spec = server().spec("SELECT * FROM " + table + " WHERE throwIf(id > 0) = 0");
  server().exec("INSERT INTO " + table + " SELECT 1, NULL, now(), [], 'x'");
  auto described = describe_source(spec);
  BOOST_REQUIRE_MESSAGE(described.ok(), (described.ok() ? std::string() : described.error().message));
  const char* kinds[] = {"integer", "decimal", "timestamp", "text", "text"};
  BOOST_REQUIRE_EQUAL(described->size(), 5u);
  for (size_t i = 0; i < 5; ++i)
    BOOST_TEST(std::string(to_string((*described)[i].kind)) == kinds[i]);
  BOOST_TEST((*described)[4].name == "s");
}

BOOST_AUTO_TEST_CASE(an_error_after_rows_were_sent_fails_the_read) {
  // Two columns and one: with one, ClickHouse's error line could pass for a row.
  for (const char* columns : {"number, toString(number) AS s", "toString(number) AS s"}) {
    auto cursor = open_ok(server().spec(std::string("SELECT ") + columns +
                                        " FROM numbers(1000000) WHERE throwIf(number = 900000) = 0"));
    size_t rows = 0;
    std::string error = read_until_end(*cursor, rows);
    BOOST_TEST_MESSAGE("after " << rows << " rows: " << error);
    BOOST_TEST(contains(error, "ClickHouse error 395"), error);
    BOOST_TEST(contains(error, "throwIf"), error);
    BOOST_TEST(rows < 1000000u);
    BOOST_TEST(rows > 0u);  // the failure came mid-stream, after a 200
  }
}

BOOST_AUTO_TEST_CASE(answers_are_gzipped_unless_the_server_is_on_loopback_or_the_sync_says) {
  auto endpoint = [](const std::string& url, const nlohmann::json& extra) {
    source_spec spec;
    spec.type = "clickhouse";
    spec.options = {{"url", url}};
    if (extra.is_object())
      spec.options.update(extra);
    return ch_endpoint::of(spec);
  };
  BOOST_TEST(endpoint("https://ch.example.com:8443", {}).compression);
  BOOST_TEST(!endpoint("http://127.0.0.1:8123", {}).compression);
  BOOST_TEST(!endpoint("http://localhost:8123/", {}).compression);
  BOOST_TEST(endpoint("http://127.0.0.1:8123", {{"compression", true}}).compression);
  BOOST_TEST(!endpoint("https://ch.example.com", {{"compression", false}}).compression);
}

BOOST_AUTO_TEST_CASE(a_long_read_streams_every_row) {
  // Gzip asked for (the default off loopback) and not (the default on it, as here).
  for (bool gzip : {true, false}) {
    BOOST_TEST_CONTEXT("compression " << gzip) {
      auto cursor = open_ok(server().spec(
          "SELECT number AS id, toString(number) AS s FROM system.numbers LIMIT 300000",
          {{"compression", gzip}}));
      size_t rows = 0;
      BOOST_TEST(read_until_end(*cursor, rows) == "");
      BOOST_TEST(rows == 300000u);
    }
  }
}

BOOST_AUTO_TEST_CASE(closing_a_cursor_early_kills_its_query) {
  const std::string marker = "bf_kill_" + std::to_string(getpid());
  auto running = [&marker] {
    return server().exec("SELECT count() FROM system.processes WHERE query LIKE '%" + marker +
                         "%' AND query NOT LIKE '%system.processes%'");
  };
  {
    // Two threads run the two parts side by side: 7 MB of rows arrive (uncompressed, so the
    // server's 1 MB buffer flushes) while a sum that writes nothing for a long while goes on,
    // so the server does not notice a closed connection by itself.
    auto cursor = open_ok(server().spec(
        "SELECT toString(number) AS v FROM numbers(1000000) UNION ALL "
        "SELECT toString(sum(number)) /* " + marker + " */ FROM numbers(50000000000)",
        {{"settings", {{"max_threads", 2}}}, {"compression", false}}));
    // Read most of the rows the server has sent, so that it has nothing left to write.
    packed_rows out;
    for (size_t rows = 0; rows < 800000;) {
      out.clear();
      auto got = cursor->fetch(out, 10000);
      BOOST_REQUIRE(got.ok() && *got > 0);
      rows += *got;
    }
    BOOST_TEST(running() == "1\n");
  }
  std::string left = running();
  for (int i = 0; i < 20 && left != "0\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = running();
  }
  BOOST_TEST(left == "0\n");
}

BOOST_AUTO_TEST_CASE(bad_sql_and_unknown_tables_are_config_errors_with_clickhouse_codes) {
  auto spec = server().spec("SELEC 1");
  std::string error = error_of(open_source(spec));
  BOOST_TEST(contains(error, "source.query: ClickHouse error 62: "), error);
  BOOST_TEST(is_config_problem(spec, failure{error}));
  auto missing = server().spec("SELECT * FROM {d}.nope");
  error = error_of(open_source(missing));
  BOOST_TEST(contains(error, "ClickHouse error 60: "), error);
  BOOST_TEST(is_config_problem(missing, failure{error}));
  error = error_of(describe_source(spec));
  BOOST_TEST(contains(error, "source.query: ClickHouse error 62"), error);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_a_config_error_that_never_shows_it) {
  const std::string wrong = "Wr0ng-" + server().password();
  auto spec = server().spec("SELECT 1", {{"password", wrong}});
  std::string error = error_of(open_source(spec));
  BOOST_TEST(contains(error, "source.password: "), error);
  BOOST_TEST(contains(error, "ClickHouse error 193"), error);
  BOOST_TEST(!contains(error, wrong));
  BOOST_TEST(is_config_problem(spec, failure{error}));
  auto bad_db = server().spec("SELECT 1", {{"database", "no_such_db_here"}});
  error = error_of(open_source(bad_db));
  BOOST_TEST(contains(error, "source.database: ClickHouse error 81"), error);
}

BOOST_AUTO_TEST_CASE(freshness_values_come_back_as_utc_timestamps) {
  auto cursor = open_ok(server().spec("SELECT toDateTime('2024-03-01 08:00:00') AS newest, "
                                      "toDateTime('2024-03-01 08:00:00', 'Asia/Tokyo') AS tokyo"));
  auto all = drain(*cursor, 10);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 1u);
  BOOST_TEST(cell_to_string(all.row(0)[0]) == "2024-03-01T08:00:00+00:00");
  BOOST_TEST(cell_to_string(all.row(0)[1]) == "2024-02-29T23:00:00+00:00");  // Tokyo is UTC+9
}

BOOST_AUTO_TEST_CASE(arrays_bytes_zones_and_wide_integers) {
  auto cursor = open_ok(server().spec(
      "SELECT [toDecimal32('1.5', 2)] AS ad, "
      "[toDateTime('2024-01-05 10:00:00', 'America/New_York')] AS adt, [nan, 0.1, inf] AS af, "
      "[[1, 2], [3]] AS nested, unhex('FF00') AS raw, "
      "CAST('x' AS LowCardinality(Nullable(String))) AS lc, "
      "toDateTime('2024-10-27 02:30:00', 'Europe/Paris') AS fold, "
      "CAST(1 AS Enum16('a' = 1)) AS e16, toNullable(toUInt64('9223372036854775808')) AS u63, "
      "toDecimal64('12', 0) AS whole, toDecimal64('12.00', 2) AS scaled, "
      "['it''s', NULL] AS quoted"));
  auto all = drain(*cursor, 10);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 1u);
  auto row = all.row(0);
  const std::pair<cell_type, std::string> expected[] = {
    {cell_type::text, "[\"1.50\"]"},                 // decimals in arrays as exact strings
    {cell_type::text, "[\"2024-01-05T15:00:00+00:00\"]"},  // New York EST is UTC-5
    {cell_type::text, "[null,0.1,null]"},             // nan and inf have no JSON number
    {cell_type::text, "[[1,2],[3]]"},
    {cell_type::bytes, "/wA="},                       // 0xFF 0x00 is not UTF-8: base64
    {cell_type::text, "x"},
    {cell_type::timestamp, "2024-10-27T00:30:00+00:00"},  // 02:30 happens twice: the earlier (CEST)
    {cell_type::text, "a"},
    {cell_type::decimal, "9223372036854775808"},     // 2^63: one past int64
    {cell_type::integer, "12"},
    {cell_type::decimal, "12.00"},                   // the scale is kept
    {cell_type::text, "[\"it's\",null]"},
  };
  BOOST_REQUIRE_EQUAL(row.size(), std::size(expected));
  for (size_t i = 0; i < row.size(); ++i) {
    BOOST_TEST(static_cast<int>(row[i].type) == static_cast<int>(expected[i].first),
               cursor->columns()[i].name);
    BOOST_TEST(cell_to_string(row[i]) == expected[i].second, cursor->columns()[i].name);
  }
}

BOOST_AUTO_TEST_CASE(answers_are_sorted_by_clickhouse_code_then_status) {
  ch_endpoint e;
  e.url = "http://127.0.0.1:1";
  e.password = "hunter2-secret";
  auto transient = [](const failure& f) { return is_transient_ch_failure(f); };
  BOOST_TEST(transient(ch_failure(e, 0, "", "Couldn't connect to server")));
  auto memory = ch_failure(e, 500, "Code: 241, e.displayText() = DB::Exception: Memory limit "
                                   "(for query) exceeded, e.what() = DB::Exception\n", "");
  BOOST_TEST(transient(memory));
  BOOST_TEST(memory.message == "source: ClickHouse error 241: DB::Exception: Memory limit (for "
                               "query) exceeded");
  BOOST_TEST(transient(ch_failure(e, 502, "<html>Bad Gateway</html>", "")));
  auto proxy_404 = ch_failure(e, 404, "Not Found", "");
  BOOST_TEST(proxy_404.message.rfind("source.url: ", 0) == 0u, proxy_404.message);
  // The form of ClickHouse 21 and later.
  auto newer = ch_failure(e, 400, "Code: 62. DB::Exception: Syntax error: failed at position 1 "
                                  "(SYNTAX_ERROR) (version 23.8.1.1)", "");
  BOOST_TEST(newer.message.rfind("source.query: ClickHouse error 62: DB::Exception: Syntax", 0) ==
             0u, newer.message);
  auto echoed = ch_failure(e, 500, "Code: 999, e.displayText() = hunter2-secret, e.what() = x", "");
  BOOST_TEST(!contains(echoed.message, "hunter2-secret"), echoed.message);
}

// Incremental reads. ClickHouse 18.16 has no query parameters, so the bound is written into the
// SQL as a literal; expected texts are written by hand from ClickHouse's string-literal rules
// (a backslash before \ and ', \0 \n \t \r escapes, other bytes kept).
BOOST_AUTO_TEST_CASE(the_bound_is_an_escaped_typed_literal) {
  BOOST_TEST(ch_string_literal("it's") == R"('it\'s')");
  BOOST_TEST(ch_string_literal(R"(a\b)") == R"('a\\b')");
  BOOST_TEST(ch_string_literal(R"(\')") == R"('\\\'')");  // cannot close the literal early
  BOOST_TEST(ch_string_literal("x') OR 1=1 --") == R"('x\') OR 1=1 --')");
  BOOST_TEST(ch_string_literal(std::string("a\0b\n\t\r", 6)) == R"('a\0b\n\t\r')");
  BOOST_TEST(ch_string_literal("\xF0\x9F\x8E\x89 \xC3\xA9") == "'\xF0\x9F\x8E\x89 \xC3\xA9'");
  BOOST_TEST(ch_string_literal("NULL") == "'NULL'");  // the text, not the keyword
  BOOST_TEST(ch_string_literal("") == "''");
  BOOST_TEST(quote_ch_identifier("up`dated\\at") == R"(`up\`dated\\at`)");

  BOOST_TEST(*ch_bound_literal({"9007199254740993", true}) == "9007199254740993");
  BOOST_TEST(*ch_bound_literal({"-9223372036854775808", true}) == "-9223372036854775808");
  BOOST_TEST(*ch_bound_literal({"18446744073709551615", true}) == "18446744073709551615");
  for (const char* bad : {"1 OR 1=1", "", "-", "1e3", "12'", "123456789012345678901"}) {
    auto r = ch_bound_literal({bad, true});
    BOOST_TEST(!r.ok(), bad);
  }
  BOOST_TEST(*ch_bound_literal({"2026-03-01T09:48:19.000000+00:00", false}) ==
             "parseDateTimeBestEffort('2026-03-01T09:48:19.000000+00:00')");
  BOOST_TEST(*ch_bound_literal({"2026'); DROP TABLE t; --\\", false}) ==
             R"(parseDateTimeBestEffort('2026\'); DROP TABLE t; --\\'))");
  BOOST_TEST(!ch_bound_literal({"", false}).ok());  // no bound is no window

  auto window = ch_window_query("SELECT * FROM t -- {backflow_from}", "updated_at", false);
  BOOST_TEST(window == "SELECT * FROM (\nSELECT * FROM t -- {backflow_from}\n) AS backflow_model "
                       "WHERE `updated_at` IS NULL OR toDateTime(`updated_at`) >= {backflow_from}");
  auto bound = ch_bind_window(window, {{"2026-03-01T09:48:19+00:00", false}});
  BOOST_REQUIRE(bound.ok());
  // Only the window's own placeholder is replaced, never the model's text.
  BOOST_TEST(*bound == "SELECT * FROM (\nSELECT * FROM t -- {backflow_from}\n) AS backflow_model "
                       "WHERE `updated_at` IS NULL OR toDateTime(`updated_at`) >= "
                       "parseDateTimeBestEffort('2026-03-01T09:48:19+00:00')");
  BOOST_TEST(*ch_bind_window("SELECT 1", {}) == "SELECT 1");
  BOOST_TEST(!ch_bind_window("SELECT 1", {{"1", true}}).ok());
  BOOST_TEST(ch_key_query("SELECT a, b FROM t", {"a", "b`c"}) ==
             "SELECT `a`, `b\\`c` FROM (\nSELECT a, b FROM t\n) AS backflow_model");
}

// The window on the real server: DateTime (any zone) and Date cursors compare as instants, an
// integer cursor past 2^53 exactly, NULL cursors are always read; hostile text bounds are
// refused by ClickHouse's parser, never run as SQL.
BOOST_AUTO_TEST_CASE(the_window_reads_rows_at_or_past_the_bound_and_null_cursors) {
  server().exec("CREATE TABLE {d}.moved (id String, at Nullable(DateTime('Europe/Paris')), "
                "day Date, version UInt64) ENGINE = Memory");
  server().exec("INSERT INTO {d}.moved VALUES "
                "('a', toDateTime('2026-03-01 09:59:59', 'UTC'), '2026-02-27', 9007199254740992), "
                "('b', toDateTime('2026-03-01 10:00:00', 'UTC'), '2026-02-28', 9007199254740993), "
                "('c', toDateTime('2026-03-01 12:00:00', 'UTC'), '2026-03-01', 18446744073709551615), "
                "('d', NULL, '2026-03-02', 1)");
  auto ids = [&](const std::string& cursor, const query_param& bound) {
    auto spec = server().spec(ch_window_query("SELECT * FROM {d}.moved", cursor, bound.integer));
    spec.params = {bound};
    auto cursor_ = open_ok(spec);
    auto all = drain(*cursor_, 10);
    std::string out;
    for (size_t i = 0; i < all.rows.size(); ++i)
      out += cell_to_string(all.row(i)[0]);
    std::sort(out.begin(), out.end());
    return out;
  };
  // 10:00:00Z is 11:00 in Paris: an instant, not the digits of a wall time.
  BOOST_TEST(ids("at", {"2026-03-01T10:00:00.000000+00:00", false}) == "bcd");
  // 10:59:59 at +01:00 is 09:59:59Z: row a too (read as wall digits, it would not be).
  BOOST_TEST(ids("at", {"2026-03-01T10:59:59.000000+01:00", false}) == "abcd");
  BOOST_TEST(ids("at", {"2026-03-01T12:00:00.999999+00:00", false}) == "cd");  // rounded down
  BOOST_TEST(ids("day", {"2026-02-28T00:00:00.000000+00:00", false}) == "bcd");
  BOOST_TEST(ids("version", {"9007199254740993", true}) == "bc");
  BOOST_TEST(ids("version", {"18446744073709551615", true}) == "c");
  auto spec = server().spec(ch_window_query("SELECT * FROM {d}.moved", "at", false));
  spec.params = {{"2026'), 1) OR (1 = 1", false}};
  auto refused = open_source(spec);
  BOOST_TEST(!refused.ok());
  server().exec("DROP TABLE {d}.moved");
}
