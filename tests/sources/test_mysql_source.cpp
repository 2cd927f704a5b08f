// Tests of the mysql source against the throwaway MariaDB server (scripts/mariadb-test-server.sh).
#define BOOST_TEST_MODULE mysql_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "connectors/sources/registry.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/sources/source_test_util.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

mariadb_server& server() {
  static mariadb_server instance;
  static bool made = [] {
    instance.exec(R"sql(CREATE TABLE types (id INT PRIMARY KEY, flag TINYINT(1), tiny TINYINT,
        big BIGINT, ubig BIGINT UNSIGNED, dec38 DECIMAL(38,10), dec2 DECIMAL(5,2), dbl DOUBLE,
        flt FLOAT, d DATE, dt DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME, j JSON, txt TEXT,
        vc VARCHAR(20), bl BLOB, vb VARBINARY(8), bits BIT(12), en ENUM('a','b'), yr YEAR))sql");
    instance.exec("SET time_zone = '+02:00'");  // TIMESTAMP input at +02:00, read back in UTC
    instance.exec(R"sql(INSERT INTO types VALUES
      (1, 1, -128, -9223372036854775808, 18446744073709551615,
       1234567890123456789012345678.9012345678, 12.50, 0.1, 1.5, '1969-07-20',
       '1969-07-20 20:17:40.250000', '2024-03-31 03:30:00.125', '-838:59:59',
       '{"a": [1, 2.50, "é"]}', 'héllo 🎉', 'v', x'00ff', x'0001', b'101010101010', 'b', 2024),
      (2, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL),
      (3, 2, 0, 9223372036854775807, 9223372036854775808, -0.0000000001, -0.50, -0.0, 0,
       '0000-00-00', '2024-01-05 10:00:00', '1970-01-01 02:00:01', '10:00:00', '[]', '', '',
       x'', x'', b'0', 'a', 1901))sql");
    instance.exec("SET time_zone = '+00:00'");
    instance.exec("CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(64))");
    instance.exec("INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com') "
                  "FROM seq_1_to_10007");
    return true;
  }();
  (void)made;
  return instance;
}

void check_text(const cell& c, cell_type type, const std::string& text) {
  BOOST_TEST(static_cast<int>(c.type) == static_cast<int>(type), "for " << text);
  BOOST_TEST(std::string(c.text) == text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(column_kinds_come_from_field_types) {
  const char* expected[] = {"integer", "integer", "integer",   "integer",   "integer", "decimal",
                            "decimal", "real",    "real",      "timestamp", "timestamp",
                            "timestamp", "text",  "text",      "text",      "text",    "bytes",
                            "bytes",   "integer", "text",      "integer"};
  auto cursor = open_ok(server().spec("SELECT * FROM types ORDER BY id;\n"));
  auto described = describe_source(server().spec("SELECT * FROM types ORDER BY id"));
  BOOST_REQUIRE_MESSAGE(described.ok(), (described.ok() ? "" : described.error().message));
  for (const schema* cols : std::vector<const schema*>{&cursor->columns(), &*described}) {
    BOOST_REQUIRE_EQUAL(cols->size(), std::size(expected));
    for (size_t i = 0; i < cols->size(); ++i)
      BOOST_TEST(std::string(to_string((*cols)[i].kind)) == expected[i], (*cols)[i].name);
  }
}

// Expected cells are the literals inserted above, rewritten by hand to the canonical forms.
BOOST_AUTO_TEST_CASE(cells_from_the_text_protocol) {
  auto all = drain(*open_ok(server().spec("SELECT * FROM types ORDER BY id")), 1000);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 3u);
  auto r1 = all.row(0);
  BOOST_TEST((r1[1].type == cell_type::integer && r1[1].integer == 1));  // TINYINT(1): no bool
  BOOST_TEST(r1[2].integer == -128);
  BOOST_TEST(r1[3].integer == INT64_MIN);
  check_text(r1[4], cell_type::decimal, "18446744073709551615");  // 2^64 - 1, exact
  check_text(r1[5], cell_type::decimal, "1234567890123456789012345678.9012345678");
  check_text(r1[6], cell_type::decimal, "12.50");
  BOOST_TEST((r1[7].type == cell_type::real && r1[7].real == 0.1));
  BOOST_TEST((r1[8].type == cell_type::real && r1[8].real == 1.5));
  check_text(r1[9], cell_type::timestamp, "1969-07-20");
  check_text(r1[10], cell_type::timestamp, "1969-07-20T20:17:40.250000");
  check_text(r1[11], cell_type::timestamp, "2024-03-31T01:30:00.125+00:00");
  check_text(r1[12], cell_type::text, "-838:59:59");
  check_text(r1[13], cell_type::text, "{\"a\": [1, 2.50, \"é\"]}");
  check_text(r1[14], cell_type::text, "héllo 🎉");
  check_text(r1[16], cell_type::bytes, std::string("\x00\xff", 2));
  check_text(r1[17], cell_type::bytes, std::string("\x00\x01", 2));
  BOOST_TEST((r1[18].type == cell_type::integer && r1[18].integer == 2730));  // 0b101010101010
  check_text(r1[19], cell_type::text, "b");
  BOOST_TEST(r1[20].integer == 2024);

  auto r2 = all.row(1);
  BOOST_TEST(r2[1].integer == 0);
  for (size_t i = 2; i < r2.size(); ++i)
    BOOST_TEST(r2[i].is_null(), "column " << i);

  auto r3 = all.row(2);
  BOOST_TEST(r3[1].integer == 2);
  BOOST_TEST(r3[3].integer == INT64_MAX);
  check_text(r3[4], cell_type::decimal, "9223372036854775808");  // 2^63: past int64
  check_text(r3[5], cell_type::decimal, "-0.0000000001");
  check_text(r3[6], cell_type::decimal, "-0.50");
  check_text(r3[9], cell_type::text, "0000-00-00");  // a zero date is no instant
  check_text(r3[10], cell_type::timestamp, "2024-01-05T10:00:00.000000");
  check_text(r3[11], cell_type::timestamp, "1970-01-01T00:00:01.000+00:00");
  check_text(r3[14], cell_type::text, "");  // empty, not NULL
  check_text(r3[15], cell_type::text, "");
  check_text(r3[16], cell_type::bytes, "");
  BOOST_TEST(r3[18].integer == 0);
}

BOOST_AUTO_TEST_CASE(session_is_utc_utf8mb4_and_read_only) {
  auto all = drain(*open_ok(server().spec(
                       "SELECT @@session.time_zone AS tz, @@character_set_client AS cs, "
                       "@@character_set_results AS rs, @@net_write_timeout AS nwt")),
                   10);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 1u);
  auto r = all.row(0);
  BOOST_TEST(std::string(r[0].text) == "+00:00");
  BOOST_TEST(std::string(r[1].text) == "utf8mb4");
  BOOST_TEST(std::string(r[2].text) == "utf8mb4");
  BOOST_TEST(r[3].integer == 3600);

  std::string before = server().exec("SELECT COUNT(*) FROM users");
  auto smuggled = error_of(open_source(server().spec("SELECT 1; DELETE FROM users")));
  BOOST_TEST(contains(smuggled, "ER_PARSE_ERROR (1064)"), smuggled);
  BOOST_TEST(server().exec("SELECT COUNT(*) FROM users") == before);
}

BOOST_AUTO_TEST_CASE(streams_in_bounded_fetches) {
  auto cursor = open_ok(server().spec("SELECT id, email FROM users ORDER BY id"));
  auto all = drain(*cursor, 1000);
  BOOST_REQUIRE_EQUAL(all.per_call.size(), 12u);
  for (size_t i = 0; i < 10; ++i)
    BOOST_TEST(all.per_call[i] == 1000u);
  BOOST_TEST(all.per_call[10] == 7u);
  int64_t sum = 0;
  for (size_t i = 0; i < all.rows.size(); ++i)
    sum += all.row(i)[0].integer;
  BOOST_TEST(sum == 10007LL * 10008 / 2);
  BOOST_TEST(std::string(all.row(10006)[1].text) == "user10007@example.com");
}

// mysql_use_result: after the first rows the server is still sending the rest, and a cursor
// dropped early cuts the read instead of draining a million rows.
BOOST_AUTO_TEST_CASE(reads_unbuffered_and_stops_early) {
  const std::string query =
      "SELECT seq, REPEAT('x', 200) AS pad, 'bf_unbuffered_marker' AS m FROM seq_1_to_2000000";
  auto cursor = open_ok(server().spec(query));
  packed_rows out;
  BOOST_REQUIRE_EQUAL(*cursor->fetch(out, 1000), 1000u);
  BOOST_TEST(server().exec("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE "
                           "'%bf_unbuffered_marker%' AND info NOT LIKE '%processlist%'") == "1");
  auto start = std::chrono::steady_clock::now();
  cursor.reset();
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST((took < std::chrono::milliseconds(500)));
}

BOOST_AUTO_TEST_CASE(describe_does_not_run_the_query) {
  auto start = std::chrono::steady_clock::now();
  auto cols = describe_source(server().spec("SELECT id, SLEEP(5) AS slow, ts FROM types"));
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(2)));
  BOOST_REQUIRE_MESSAGE(cols.ok(), (cols.ok() ? "" : cols.error().message));
  BOOST_REQUIRE_EQUAL(cols->size(), 3u);
  BOOST_TEST((*cols)[1].name == "slow");
  BOOST_TEST(((*cols)[2].kind == column_kind::timestamp));
  auto message = error_of(describe_source(server().spec("SELECT emial FROM types")));
  BOOST_TEST(message == "source.query: MySQL error ER_BAD_FIELD_ERROR (1054): Unknown column "
                        "'emial' in 'SELECT'");
}

BOOST_AUTO_TEST_CASE(errors_carry_the_server_message_and_code) {
  auto spec = server().spec("SELECT * FROM nope");
  auto message = error_of(open_source(spec));
  BOOST_TEST(message == "source.query: MySQL error ER_NO_SUCH_TABLE (1146): Table '" +
                            server().database() + ".nope' doesn't exist");
  BOOST_TEST(is_config_problem(spec, failure{message}));
  BOOST_TEST(contains(error_of(open_source(server().spec("SELEC 1"))), "ER_PARSE_ERROR (1064)"));
  BOOST_TEST(contains(error_of(open_source(server().spec(" ; "))), "source.query: is empty"));
  BOOST_TEST(error_of(open_source(server().spec("SELECT id, flag AS id FROM types"))) ==
             "source.query: the query returns column \"id\" twice; give each column a unique "
             "name");
}

BOOST_AUTO_TEST_CASE(login_problems_are_config_errors_without_the_password) {
  auto wrong = server().spec("SELECT 1");
  wrong.options["password"] = "Sup3rS3cret";
  auto by_url = source_spec{"mysql", {{"url", "mysql://backflow:Sup3rS3cret@127.0.0.1:" +
                                                  std::to_string(server().port()) + "/x"}},
                            "SELECT 1"};
  for (const auto& spec : {wrong, by_url}) {
    for (const std::string& message :
         {error_of(open_source(spec)), error_of(describe_source(spec))}) {
      BOOST_TEST(contains(message, "source.user: MySQL refused the login: "
                                   "ER_ACCESS_DENIED_ERROR (1045): Access denied for user "
                                   "'backflow'@"),
                 message);
      BOOST_TEST(!contains(message, "Sup3r"), message);
      BOOST_TEST(is_config_problem(spec, failure{message}));
    }
  }
  auto no_db = server().spec("SELECT 1");
  no_db.options["database"] = "no_such_db";
  auto message = error_of(open_source(no_db));
  BOOST_TEST(contains(message, "source.database: ER_BAD_DB_ERROR (1049): Unknown database "
                               "'no_such_db'"), message);
  BOOST_TEST(is_config_problem(no_db, failure{message}));
}

BOOST_AUTO_TEST_CASE(a_server_that_is_down_is_transient) {
  auto down = server().spec("SELECT 1");
  down.options["port"] = 1;
  auto message = error_of(open_source(down));
  BOOST_TEST(contains(message, "source: cannot connect to MySQL at 127.0.0.1:1: "), message);
  BOOST_TEST(!contains(message, server().password()), message);
  BOOST_TEST(!is_config_problem(down, failure{message}));
}

BOOST_AUTO_TEST_CASE(a_url_names_the_server) {
  auto spec = source_spec{"mysql", {{"url", server().url()}}, "SELECT COUNT(*) AS n FROM users"};
  auto all = drain(*open_ok(spec), 10);
  BOOST_TEST(all.row(0)[0].integer == 10007);
  for (const char* bad : {"postgres://a@b/c", "mysql://", "mysql://u:p@h:99999/d", "mysql://h/d?x=1"})
    BOOST_TEST(contains(error_of(open_source(source_spec{"mysql", {{"url", bad}}, "SELECT 1"})),
                        "source.url: not a MySQL URL"), bad);
}

BOOST_AUTO_TEST_CASE(an_error_mid_stream_fails_the_fetch) {
  auto cursor = open_ok(server().spec(
      "SELECT seq, (SELECT 1 FROM seq_1_to_2 WHERE t.seq = 5000) AS x FROM seq_1_to_10000 t"));
  packed_rows out;
  size_t good = 0;
  result<size_t> got = size_t{0};
  for (int i = 0; i < 20; ++i) {
    got = cursor->fetch(out, 1000);
    if (!got.ok())
      break;
    good += *got;
  }
  BOOST_TEST(good == 4000u);
  std::string message = error_of(got);
  BOOST_TEST(message ==
             "source.query: MySQL error ER_SUBQUERY_NO_1_ROW (1242): Subquery returns more than 1 row");
  BOOST_TEST(out.size() == 4000u);  // the failed fetch appended nothing
  BOOST_TEST(error_of(cursor->fetch(out, 1000)) == message);
}

BOOST_AUTO_TEST_CASE(a_killed_connection_is_transient) {
  auto spec = server().spec(
      "SELECT CONNECTION_ID() AS c, seq, REPEAT('y', 200) AS pad FROM seq_1_to_2000000");
  auto cursor = open_ok(spec);
  packed_rows out;
  BOOST_REQUIRE(cursor->fetch(out, 1000).ok());
  server().exec("KILL " + std::to_string(decode_row(out[0])[0].integer));
  result<size_t> got = size_t{0};
  size_t total = 1000;
  while (got.ok() && total < 2000000) {
    out.clear();
    got = cursor->fetch(out, 10000);
    if (got.ok())
      total += *got;
  }
  BOOST_TEST(total < 2000000u);
  auto message = error_of(got);
  BOOST_TEST(contains(message, "source: lost the connection to MySQL: "), message);
  BOOST_TEST(!is_config_problem(spec, failure{message}));
}

// The test server has no TLS: "required" must refuse to talk in the clear, not fall back.
BOOST_AUTO_TEST_CASE(tls_required_is_enforced) {
  auto spec = server().spec("SELECT 1");
  spec.options["tls"] = "required";
  auto message = error_of(open_source(spec));
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(message == "source.tls: the connection to 127.0.0.1:" + std::to_string(server().port()) +
                            " is not encrypted (the server offers no TLS?); tls is \"required\"");
  BOOST_TEST(is_config_problem(spec, failure{message}));
}

namespace {

/// The ids (column 0) a windowed read of `inc` returns with `bound` on `column`.
std::vector<long long> window_ids(const std::string& column, const std::string& bound,
                                  bool integer) {
  auto spec = server().spec("SELECT id, v, ts, dt FROM inc");
  spec.query = find_source_type("mysql")->window_query(spec.query, column, integer);
  spec.params = {query_param{bound, integer}};
  auto all = drain(*open_ok(spec), 100);
  std::vector<long long> ids;
  for (size_t i = 0; i < all.rows.size(); ++i)
    ids.push_back(all.row(i)[0].integer);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void make_inc_table() {
  static bool made = [] {
    server().exec("CREATE TABLE inc (id INT PRIMARY KEY, v BIGINT NULL, ts TIMESTAMP(6) NULL, "
                  "dt DATETIME(6) NULL)");
    server().exec("SET time_zone = '+00:00'");
    // 2^53, 2^53 + 1, 2^53 + 2: a bound compared as a double would read row 1 too.
    server().exec(R"sql(INSERT INTO inc VALUES
      (1, 9007199254740992, '2026-01-05 09:59:59.999999', '2026-01-05 09:59:59.999999'),
      (2, 9007199254740993, '2026-01-05 10:00:00', '2026-01-05 10:00:00'),
      (3, 9007199254740994, '2026-01-05 10:00:00.000001', '2026-01-05 10:00:00.000001'),
      (4, NULL, NULL, NULL))sql");
    // Written at +02:00: 09:59 and 10:00 UTC. The DATETIME keeps the wall time (11:59, 12:00).
    server().exec("SET time_zone = '+02:00'");
    server().exec(R"sql(INSERT INTO inc VALUES
      (5, 1, '2026-01-05 11:59:00', '2026-01-05 11:59:00'),
      (6, 2, '2026-01-05 12:00:00', '2026-01-05 12:00:00'))sql");
    server().exec("SET time_zone = '+00:00'");
    return true;
  }();
  (void)made;
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_integer_bound_is_exact_past_2_53) {
  make_inc_table();
  auto ids = window_ids("v", "9007199254740993", true);
  BOOST_TEST(ids == (std::vector<long long>{2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(incremental_timestamp_bound_compares_instants) {
  make_inc_table();
  // TIMESTAMP: an instant (row 6 was written as 12:00+02:00); the zoned bound is in UTC.
  auto ids = window_ids("ts", "2026-01-05T10:00:00.000000+00:00", false);
  BOOST_TEST(ids == (std::vector<long long>{2, 3, 4, 6}), boost::test_tools::per_element());
  // DATETIME: wall time, so rows 5 and 6 (11:59, 12:00) are past 10:00.
  ids = window_ids("dt", "2026-01-05T10:00:00.000000", false);
  BOOST_TEST(ids == (std::vector<long long>{2, 3, 4, 5, 6}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(incremental_bound_is_never_sql) {
  make_inc_table();
  // A quote in the bound stays data: the injected OR 1=1 reads nothing more, the DROP runs not.
  auto ids = window_ids("ts", "2026-01-05T10:00:00' OR 1=1 -- ", false);
  BOOST_TEST(ids == (std::vector<long long>{2, 3, 4, 6}), boost::test_tools::per_element());
  // Text MariaDB cannot read as a time casts to the zero date: everything is read, nothing runs.
  ids = window_ids("ts", "'; DROP TABLE inc; -- ", false);
  BOOST_TEST(ids == (std::vector<long long>{1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(server().exec("SELECT count(*) FROM inc") == "6");
  // An integer bound that is not one is refused before anything runs.
  auto spec = server().spec("SELECT id, v FROM inc");
  spec.query = find_source_type("mysql")->window_query(spec.query, "v", true);
  spec.params = {query_param{"1 OR 1=1", true}};
  auto refused = open_source(spec);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message.find("not a 64-bit integer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(incremental_key_scan_quotes_with_backticks) {
  make_inc_table();
  auto spec = server().spec("SELECT id AS `odd``key`, v FROM inc");
  spec.query = find_source_type("mysql")->key_query(spec.query, {"odd`key"});
  auto cursor = open_ok(spec);
  BOOST_REQUIRE_EQUAL(cursor->columns().size(), 1u);
  BOOST_TEST(cursor->columns()[0].name == "odd`key");
  BOOST_TEST(drain(*cursor, 100).rows.size() == 6u);
}
