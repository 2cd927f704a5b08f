// Tests of the PostgreSQL source against the throwaway server (scripts/pg-test-server.sh).
#define BOOST_TEST_MODULE postgres_source
#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>

#include "tests/sources/source_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

/// The test server, and a schema of fixture tables made for this run and dropped after it.
class pg_server {
 public:
  pg_server() {
    const char* file = std::getenv("BACKFLOW_TEST_PG_DSN_FILE");
    if (file == nullptr || !std::filesystem::exists(file))
      throw std::runtime_error(
          "no PostgreSQL test server: BACKFLOW_TEST_PG_DSN_FILE names no file (run through ctest, "
          "or start one with scripts/pg-test-server.sh start DIR)");
    dsn_ = read_file(file);
    while (!dsn_.empty() && (dsn_.back() == '\n' || dsn_.back() == ' '))
      dsn_.pop_back();
    admin_ = PQconnectdb(dsn_.c_str());
    if (PQstatus(admin_) != CONNECTION_OK)
      throw std::runtime_error("cannot connect to the test server: " +
                               std::string(PQerrorMessage(admin_)));
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    schema_ = "bf_src_" + std::to_string(getpid()) + "_" + std::to_string(now % 1000000007);
    exec("SET client_min_messages = warning");
    exec("CREATE SCHEMA " + schema_);
    exec(R"sql(CREATE TABLE {s}.types (id int4, b bool, i2 int2, i8 int8, o oid, f4 float4,
                 f8 float8, n numeric, d date, ts timestamp, tz timestamptz, tm time, ttz timetz,
                 iv interval, t text, vc varchar(10), bc char(4), nm name, u uuid, j json,
                 jb jsonb, by bytea))sql");
    exec(R"sql(INSERT INTO {s}.types VALUES
      (1, true, -32768, 9223372036854775807, 4000000000, 1.5, 0.1, 12.50, '2024-01-05',
       '2024-01-05 10:00:00.25', '2024-01-05 10:00:00+02', '10:00:00', '10:00:00+02',
       '1 day 02:00:00', 'héllo', 'v', 'ab', 'nm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
       '{"a": 1}', '{"a": 1}', '\x00ff'),
      (2, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, NULL, 0, -1, 0, 'Infinity', 'NaN', 'NaN', '-infinity', 'infinity', 'infinity', NULL,
       NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, ''),
      (4, NULL, NULL, NULL, NULL, '-Infinity', '-Infinity', 1e400, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL))sql");
    exec(
        "CREATE TABLE {s}.users AS SELECT g AS id, 'user' || g || '@example.com' AS email "
        "FROM generate_series(1, 10007) g");
    exec(
        "CREATE TABLE {s}.big AS SELECT g AS id, md5(g::text) AS email, g * 0.5 AS score "
        "FROM generate_series(1, 200000) g");
  }

  ~pg_server() {
    if (!schema_.empty())
      exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE", false);
    PQfinish(admin_);
  }

  /// Runs `sql` with "{s}" standing for this run's schema; returns the first value, if any.
  std::string exec(std::string sql, bool require = true) {
    for (size_t at = sql.find("{s}"); at != std::string::npos; at = sql.find("{s}", at))
      sql.replace(at, 3, schema_);
    PGresult* res = PQexec(admin_, sql.c_str());
    auto st = PQresultStatus(res);
    std::string value = (st == PGRES_TUPLES_OK && PQntuples(res) > 0) ? PQgetvalue(res, 0, 0) : "";
    std::string error = PQresultErrorMessage(res);
    PQclear(res);
    if (require && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      throw std::runtime_error("fixture SQL failed: " + error + " in: " + sql);
    return value;
  }

  [[nodiscard]] source_spec spec(std::string query) const {
    for (size_t at = query.find("{s}"); at != std::string::npos; at = query.find("{s}", at))
      query.replace(at, 3, schema_);
    return source_spec{"postgres", {{"dsn", dsn_}}, query};
  }

  [[nodiscard]] const std::string& dsn() const { return dsn_; }
  [[nodiscard]] std::string port() const { return PQport(admin_); }

 private:
  std::string dsn_;
  std::string schema_;
  PGconn* admin_ = nullptr;
};

pg_server& server() {
  static pg_server instance;
  return instance;
}

void check_text(const cell& c, cell_type type, const std::string& text) {
  BOOST_TEST(static_cast<int>(c.type) == static_cast<int>(type), "for " << text);
  BOOST_TEST(std::string(c.text) == text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(column_kinds_come_from_type_oids) {
  auto cursor = open_ok(server().spec("SELECT * FROM {s}.types ORDER BY id;\n"));
  const char* expected[] = {"integer", "boolean", "integer",   "integer",   "integer",   "real",
                            "real",    "decimal", "timestamp", "timestamp", "timestamp", "text",
                            "text",    "text",    "text",      "text",      "text",      "text",
                            "text",    "text",    "text",      "bytes"};
  const schema& cols = cursor->columns();
  BOOST_REQUIRE_EQUAL(cols.size(), std::size(expected));
  for (size_t i = 0; i < cols.size(); ++i)
    BOOST_TEST(std::string(to_string(cols[i].kind)) == expected[i], cols[i].name);
  BOOST_TEST(cols[21].name == "by");
}

BOOST_AUTO_TEST_CASE(cells_from_text_results) {
  auto cursor = open_ok(server().spec("SELECT * FROM {s}.types ORDER BY id"));
  auto all = drain(*cursor, 1000);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 4u);

  auto r1 = all.row(0);
  BOOST_TEST((r1[1].type == cell_type::boolean_true));
  BOOST_TEST(r1[2].integer == -32768);
  BOOST_TEST(r1[3].integer == 9223372036854775807LL);
  BOOST_TEST(r1[4].integer == 4000000000LL);
  BOOST_TEST((r1[5].type == cell_type::real && r1[5].real == 1.5));
  BOOST_TEST((r1[6].type == cell_type::real && r1[6].real == 0.1));
  check_text(r1[7], cell_type::decimal, "12.50");  // exact, the column's scale kept
  check_text(r1[8], cell_type::timestamp, "2024-01-05");
  check_text(r1[9], cell_type::timestamp, "2024-01-05T10:00:00.25");
  check_text(r1[10], cell_type::timestamp, "2024-01-05T08:00:00+00:00");  // session in UTC
  check_text(r1[11], cell_type::text, "10:00:00");
  check_text(r1[12], cell_type::text, "10:00:00+02");
  check_text(r1[13], cell_type::text, "1 day 02:00:00");
  check_text(r1[14], cell_type::text, "héllo");
  check_text(r1[15], cell_type::text, "v");
  check_text(r1[16], cell_type::text, "ab  ");
  check_text(r1[17], cell_type::text, "nm");
  check_text(r1[18], cell_type::text, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  check_text(r1[19], cell_type::text, "{\"a\": 1}");
  check_text(r1[20], cell_type::text, "{\"a\": 1}");
  check_text(r1[21], cell_type::bytes, std::string("\x00\xff", 2));

  auto r2 = all.row(1);
  BOOST_TEST((r2[1].type == cell_type::boolean_false));
  for (size_t i = 2; i < r2.size(); ++i)
    BOOST_TEST(r2[i].is_null(), "column " << i);

  auto r3 = all.row(2);
  BOOST_TEST(r3[1].is_null());
  BOOST_TEST(r3[4].integer == 0);
  BOOST_TEST((r3[5].type == cell_type::real && std::isinf(r3[5].real) && r3[5].real > 0));
  BOOST_TEST((r3[6].type == cell_type::real && std::isnan(r3[6].real)));
  // numeric NaN becomes a real NaN, which the plan's value checks stop.
  BOOST_TEST((r3[7].type == cell_type::real && std::isnan(r3[7].real)));
  check_text(r3[8], cell_type::text, "-infinity");
  check_text(r3[9], cell_type::text, "infinity");
  check_text(r3[10], cell_type::text, "infinity");
  check_text(r3[14], cell_type::text, "");
  check_text(r3[21], cell_type::bytes, "");

  auto r4 = all.row(3);
  BOOST_TEST((r4[5].type == cell_type::real && std::isinf(r4[5].real) && r4[5].real < 0));
  BOOST_TEST((r4[6].type == cell_type::real && std::isinf(r4[6].real) && r4[6].real < 0));
  check_text(r4[7], cell_type::decimal, "1" + std::string(400, '0'));  // 1e400 stays exact
}

// numeric is exact: integers that fit 64 bits as integers, everything else as decimal text.
// Expected values are the literals written into the table (PostgreSQL keeps a numeric's scale).
BOOST_AUTO_TEST_CASE(numeric_values_stay_exact) {
  auto cursor = open_ok(server().spec(R"sql(SELECT * FROM (VALUES
      (1, 12345678901234567.89::numeric(38,10), 9007199254740993::numeric),
      (2, -0.0000000001::numeric(38,10), 9223372036854775807::numeric),
      (3, 99999999999999999999999999.9999999999::numeric(36,10), 9223372036854775808::numeric),
      (4, 'NaN'::numeric, '-0'::numeric),
      (5, 'Infinity'::numeric, '-Infinity'::numeric),
      (6, 1.5::numeric(10,2), -42.000::numeric)) AS t(id, d, n) ORDER BY id)sql"));
  auto all = drain(*cursor, 100);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 6u);
  check_text(all.row(0)[1], cell_type::decimal, "12345678901234567.8900000000");
  BOOST_TEST((all.row(0)[2].type == cell_type::integer && all.row(0)[2].integer == 9007199254740993));
  check_text(all.row(1)[1], cell_type::decimal, "-0.0000000001");
  BOOST_TEST(all.row(1)[2].integer == 9223372036854775807LL);
  check_text(all.row(2)[1], cell_type::decimal, "99999999999999999999999999.9999999999");
  check_text(all.row(2)[2], cell_type::decimal, "9223372036854775808");  // past int64
  BOOST_TEST((all.row(3)[1].type == cell_type::real && std::isnan(all.row(3)[1].real)));
  BOOST_TEST((all.row(3)[2].type == cell_type::integer && all.row(3)[2].integer == 0));
  BOOST_TEST((all.row(4)[1].type == cell_type::real && std::isinf(all.row(4)[1].real)));
  BOOST_TEST((all.row(4)[2].type == cell_type::real && all.row(4)[2].real < 0));
  check_text(all.row(5)[1], cell_type::decimal, "1.50");
  check_text(all.row(5)[2], cell_type::decimal, "-42.000");
}

BOOST_AUTO_TEST_CASE(session_is_utc_read_only_and_named) {
  auto cursor = open_ok(server().spec(
      "SELECT current_setting('application_name') AS app, current_setting('TimeZone') AS tz, "
      "current_setting('transaction_read_only') AS ro, "
      "current_setting('transaction_isolation') AS iso ;  "));
  auto all = drain(*cursor, 10);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 1u);
  auto r = all.row(0);
  BOOST_TEST(std::string(r[0].text) == "backflow");
  BOOST_TEST(std::string(r[1].text) == "UTC");
  BOOST_TEST(std::string(r[2].text) == "on");
  BOOST_TEST(std::string(r[3].text) == "repeatable read");
}

BOOST_AUTO_TEST_CASE(streams_in_bounded_fetches) {
  auto cursor = open_ok(server().spec("SELECT id, email FROM {s}.users ORDER BY id"));
  auto all = drain(*cursor, 1000);
  BOOST_REQUIRE_EQUAL(all.per_call.size(), 12u);
  for (size_t i = 0; i < 10; ++i)
    BOOST_TEST(all.per_call[i] == 1000u);
  BOOST_TEST(all.per_call[10] == 7u);
  BOOST_TEST(all.per_call[11] == 0u);
  int64_t sum = 0;
  for (size_t i = 0; i < all.rows.size(); ++i)
    sum += all.row(i)[0].integer;
  BOOST_TEST(sum == 10007LL * 10008 / 2);
  BOOST_TEST(std::string(all.row(10006)[1].text) == "user10007@example.com");

  // Small fetches are served from the buffered batch.
  auto small = open_ok(server().spec("SELECT id FROM {s}.users"));
  auto few = drain(*small, 7);
  BOOST_TEST(few.rows.size() == 10007u);
  BOOST_TEST(few.per_call.size() == 10007u / 7 + 2);
}

BOOST_AUTO_TEST_CASE(large_table_streams_through_a_server_cursor) {
  auto cursor = open_ok(
      server().spec("SELECT pg_backend_pid() AS pid, id, email, score FROM {s}.big ORDER BY id"));
  packed_rows out;
  auto first = cursor->fetch(out, 1000);
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE_EQUAL(*first, 1000u);
  // The server is fetching the cursor in batches, not returning the whole result.
  std::string pid = std::to_string(decode_row(out[0])[0].integer);
  BOOST_TEST(server().exec("SELECT query FROM pg_stat_activity WHERE pid = " + pid) ==
             "FETCH FORWARD 1000 FROM backflow_cursor");

  size_t total = *first;
  size_t calls = 1;
  double score_sum = 0;
  for (;;) {
    out.clear();
    auto got = cursor->fetch(out, 1000);
    BOOST_REQUIRE(got.ok());
    BOOST_REQUIRE_LE(*got, 1000u);
    BOOST_REQUIRE_EQUAL(out.size(), *got);
    if (*got == 0)
      break;
    for (size_t i = 0; i < out.size(); ++i)
      score_sum += std::stod(std::string(decode_row(out[i])[3].text));  // numeric: decimals
    total += *got;
    ++calls;
  }
  BOOST_TEST(total == 200000u);
  BOOST_TEST(calls == 200u);
  BOOST_TEST(score_sum == (200000.0 * 200001 / 2 - 1000.0 * 1001 / 2) * 0.5);
}

BOOST_AUTO_TEST_CASE(describe_does_not_run_the_query) {
  auto cols = describe_source(server().spec("SELECT id, 1/0 AS boom, tz FROM {s}.types"));
  BOOST_REQUIRE_MESSAGE(cols.ok(), (cols.ok() ? "" : cols.error().message));
  BOOST_REQUIRE_EQUAL(cols->size(), 3u);
  BOOST_TEST((*cols)[1].name == "boom");
  BOOST_TEST(((*cols)[0].kind == column_kind::integer));
  BOOST_TEST(((*cols)[2].kind == column_kind::timestamp));
  BOOST_TEST(contains(error_of(describe_source(server().spec("SELECT emial FROM {s}.types"))),
                      "column \"emial\" does not exist"));
}

BOOST_AUTO_TEST_CASE(bad_sql_names_the_problem) {
  std::string message = error_of(open_source(server().spec("SELECT emial FROM {s}.types")));
  BOOST_TEST(contains(message,
                      "source.query: PostgreSQL error: column \"emial\" does not exist "
                      "(at character 8 of the query)"),
             message);
  BOOST_TEST(contains(error_of(open_source(server().spec("SELEC 1"))), "syntax error"));
  BOOST_TEST(contains(error_of(open_source(server().spec(" ; "))), "source.query: is empty"));
}

BOOST_AUTO_TEST_CASE(duplicate_column_names_are_refused) {
  const std::string expected =
      "source.query: the query returns column \"id\" twice; give each column a unique name";
  BOOST_TEST(error_of(open_source(server().spec("SELECT id, b, id FROM {s}.types"))) == expected);
  BOOST_TEST(error_of(describe_source(server().spec("SELECT id, i2 AS id FROM {s}.types"))) ==
             expected);
}

BOOST_AUTO_TEST_CASE(the_model_cannot_write) {
  std::string before = server().exec("SELECT count(*) FROM {s}.users");
  error_of(open_source(server().spec("SELECT 1; DELETE FROM {s}.users")));
  error_of(open_source(
      server().spec("WITH d AS (DELETE FROM {s}.users RETURNING id) SELECT id FROM d")));
  BOOST_TEST(server().exec("SELECT count(*) FROM {s}.users") == before);
}

BOOST_AUTO_TEST_CASE(bad_dsn_never_shows_the_password) {
  const std::string port = server().port();
  const std::vector<std::string> dsns{
      "host=127.0.0.1 port=" + port +
          " user=no_such_role password=Sup3rS3cret dbname=backflow_test",
      "postgresql://no_such_role:Sup3rS3cret@127.0.0.1:" + port + "/backflow_test",
      "host=127.0.0.1 port=1 password='Sup3r S3cret'",
      "host=127.0.0.1 password=Sup3rS3cret fragment",
      "host=127.0.0.1 password=Sup3r S3cret",
      "postgresql://u:Sup3rS3cret@[::1/db",
      "host=127.0.0.1 port=" + port + " user=postgres dbname=no_such_db password=Sup3rS3cret",
  };
  for (const auto& dsn : dsns) {
    source_spec spec{"postgres", {{"dsn", dsn}}, "SELECT 1"};
    for (const std::string& message :
         {error_of(open_source(spec)), error_of(describe_source(spec))}) {
      BOOST_TEST_MESSAGE(message);
      BOOST_TEST(contains(message, "source.dsn: cannot connect to PostgreSQL: "), message);
      BOOST_TEST(!contains(message, "Sup3r"), message);
      BOOST_TEST(!contains(message, "S3cret"), message);
    }
  }
  BOOST_TEST(contains(error_of(open_source(source_spec{"postgres", {{"dsn", " "}}, "SELECT 1"})),
                      "source.dsn: missing"));
}

BOOST_AUTO_TEST_CASE(an_error_mid_stream_fails_the_fetch) {
  auto cursor =
      open_ok(server().spec("SELECT g, 1 / (g - 5000) AS x FROM generate_series(1, 10000) g"));
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
  BOOST_TEST(message == "source.query: PostgreSQL error: division by zero");
  BOOST_TEST(out.size() == 4000u);  // the failed fetch appended nothing
  BOOST_TEST(error_of(cursor->fetch(out, 1000)) == message);
}

BOOST_AUTO_TEST_CASE(a_lost_connection_fails_the_fetch) {
  auto cursor =
      open_ok(server().spec("SELECT pg_backend_pid() AS pid, g FROM generate_series(1, 100000) g"));
  packed_rows out;
  auto first = cursor->fetch(out, 1000);
  BOOST_REQUIRE(first.ok());
  std::string pid = std::to_string(decode_row(out[0])[0].integer);
  BOOST_TEST(server().exec("SELECT pg_terminate_backend(" + pid + ")") == "t");
  std::string message = error_of(cursor->fetch(out, 1000));
  BOOST_TEST(contains(message, "lost the connection to PostgreSQL"), message);
  BOOST_TEST(out.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(trailing_semicolons_and_comments_are_fine) {
  for (const char* query : {"SELECT 1 AS one;", "SELECT 1 AS one ; \n\t", "SELECT 1 AS one -- note",
                            "SELECT 1 AS one; -- note\n", "/* model */ SELECT 1 AS one"}) {
    auto cursor = open_ok(server().spec(query));
    auto all = drain(*cursor, 10);
    BOOST_TEST(all.rows.size() == 1u, query);
    BOOST_TEST(describe_source(server().spec(query)).ok(), query);
  }
}
