// Tests of the SQLite source against database files made at test time with the sqlite3 C API.
#define BOOST_TEST_MODULE sqlite_source
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cmath>
#include <filesystem>

#include "tests/sources/source_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

/// A temporary database file holding the tables `sql` creates.
struct sqlite_fixture {
  temp_dir dir;
  std::string path = dir.file("warehouse.db");

  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE_EQUAL(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, "fixture SQL failed: " + message);
  }

  [[nodiscard]] source_spec spec(const std::string& query) const {
    return source_spec{"sqlite", {{"path", path}}, query};
  }
};

constexpr const char* types_sql = R"sql(
  CREATE TABLE t(id INTEGER, flag BOOLEAN, at TIMESTAMP, born DATE, seen DATETIME, score REAL,
                 price NUMERIC, name TEXT, code VARCHAR(8), raw BLOB, misc);
  INSERT INTO t VALUES (1, 1, '2024-01-05 10:00:00', '2024-01-05', 1704448800, 1.5, 2.25,
                        'alice', 'A1', x'00ff10', 'x');
  INSERT INTO t VALUES (2, 0, '2024-01-05T10:00:00.123+02:00', NULL, '2024-01-05 10:00:00Z',
                        NULL, NULL, NULL, NULL, NULL, 42);
  INSERT INTO t VALUES (3, 'true', 'not a date', NULL, 0, 1e999, NULL, '', NULL, x'', 2.5);
  INSERT INTO t VALUES (4, 'f', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  INSERT INTO t VALUES (5, 7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)sql";

constexpr const char* types_query =
    "SELECT id, flag, at, born, seen, score, price, name, code, raw, misc, id * 2 AS doubled "
    "FROM t ORDER BY id; \n";

void check_text(const cell& c, cell_type type, const std::string& text) {
  BOOST_TEST(static_cast<int>(c.type) == static_cast<int>(type));
  BOOST_TEST(std::string(c.text) == text);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_source, sqlite_fixture)

BOOST_AUTO_TEST_CASE(column_kinds_come_from_declared_types) {
  exec(types_sql);
  auto cursor = open_ok(spec(types_query));
  const schema& cols = cursor->columns();
  std::vector<std::pair<std::string, column_kind>> expected{
      {"id", column_kind::integer},     {"flag", column_kind::boolean},
      {"at", column_kind::timestamp},   {"born", column_kind::timestamp},
      {"seen", column_kind::timestamp}, {"score", column_kind::real},
      {"price", column_kind::real},     {"name", column_kind::text},
      {"code", column_kind::text},      {"raw", column_kind::bytes},
      {"misc", column_kind::unknown},   {"doubled", column_kind::unknown}};
  BOOST_REQUIRE_EQUAL(cols.size(), expected.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    BOOST_TEST(cols[i].name == expected[i].first);
    BOOST_TEST(to_string(cols[i].kind) == to_string(expected[i].second), cols[i].name);
  }
}

BOOST_AUTO_TEST_CASE(cells_follow_storage_class_and_column_kind) {
  exec(types_sql);
  auto cursor = open_ok(spec(types_query));
  auto all = drain(*cursor, 100);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 5u);

  auto r1 = all.row(0);
  BOOST_REQUIRE_EQUAL(r1.size(), 12u);
  BOOST_TEST(r1[0].integer == 1);
  BOOST_TEST((r1[1].type == cell_type::boolean_true));
  check_text(r1[2], cell_type::timestamp, "2024-01-05T10:00:00");
  check_text(r1[3], cell_type::timestamp, "2024-01-05");
  check_text(r1[4], cell_type::timestamp, "2024-01-05T10:00:00Z");
  BOOST_TEST((r1[5].type == cell_type::real && r1[5].real == 1.5));
  BOOST_TEST((r1[6].type == cell_type::real && r1[6].real == 2.25));
  check_text(r1[7], cell_type::text, "alice");
  check_text(r1[8], cell_type::text, "A1");
  check_text(r1[9], cell_type::bytes, std::string("\x00\xff\x10", 3));  // the raw bytes
  check_text(r1[10], cell_type::text, "x");
  BOOST_TEST((r1[11].type == cell_type::integer && r1[11].integer == 2));

  auto r2 = all.row(1);
  BOOST_TEST((r2[1].type == cell_type::boolean_false));
  check_text(r2[2], cell_type::timestamp, "2024-01-05T10:00:00.123+02:00");
  BOOST_TEST(r2[3].is_null());
  check_text(r2[4], cell_type::timestamp, "2024-01-05T10:00:00Z");
  for (size_t i = 5; i <= 9; ++i)
    BOOST_TEST(r2[i].is_null(), "column " << i);
  BOOST_TEST((r2[10].type == cell_type::integer && r2[10].integer == 42));

  auto r3 = all.row(2);
  BOOST_TEST((r3[1].type == cell_type::boolean_true));  // 'true' text in a BOOLEAN column
  check_text(r3[2], cell_type::text, "not a date");     // kept, but not claimed a timestamp
  check_text(r3[4], cell_type::timestamp, "1970-01-01T00:00:00Z");
  BOOST_TEST((r3[5].type == cell_type::real && std::isinf(r3[5].real)));
  check_text(r3[7], cell_type::text, "");
  check_text(r3[9], cell_type::bytes, "");
  BOOST_TEST((r3[10].type == cell_type::real && r3[10].real == 2.5));

  auto r4 = all.row(3);
  BOOST_TEST((r4[1].type == cell_type::boolean_false));  // 'f'
  for (size_t i = 2; i <= 10; ++i)
    BOOST_TEST(r4[i].is_null(), "column " << i);

  auto r5 = all.row(4);
  BOOST_TEST((r5[1].type == cell_type::integer && r5[1].integer == 7));  // not a boolean value
}

BOOST_AUTO_TEST_CASE(streams_in_bounded_fetches) {
  exec(R"sql(
    CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10007)
    INSERT INTO users SELECT x, 'user' || x || '@example.com' FROM c;
  )sql");
  auto cursor = open_ok(spec("SELECT id, email FROM users ORDER BY id"));
  auto all = drain(*cursor, 1000);
  BOOST_REQUIRE_EQUAL(all.per_call.size(), 12u);  // 11 with rows, then the end
  for (size_t i = 0; i < 10; ++i)
    BOOST_TEST(all.per_call[i] == 1000u);
  BOOST_TEST(all.per_call[10] == 7u);
  BOOST_TEST(all.per_call[11] == 0u);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 10007u);
  int64_t sum = 0;
  for (size_t i = 0; i < all.rows.size(); ++i)
    sum += all.row(i)[0].integer;
  BOOST_TEST(sum == 10007LL * 10008 / 2);
  BOOST_TEST(std::string(all.row(10006)[1].text) == "user10007@example.com");

  // The end stays the end.
  packed_rows more;
  auto again = cursor->fetch(more, 1000);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(*again == 0u);
}

BOOST_AUTO_TEST_CASE(describe_reads_no_rows) {
  exec("CREATE TABLE t(id INTEGER, email TEXT, at TIMESTAMP); INSERT INTO t VALUES (1, 'a', 0);");
  // abs() of the smallest integer fails only when a row is computed.
  const std::string query = "SELECT id, email, at, abs(-9223372036854775807 - 1) AS boom FROM t";
  auto cols = describe_source(spec(query));
  BOOST_REQUIRE_MESSAGE(cols.ok(), (cols.ok() ? "" : cols.error().message));
  BOOST_REQUIRE_EQUAL(cols->size(), 4u);
  BOOST_TEST((*cols)[1].name == "email");
  BOOST_TEST(((*cols)[2].kind == column_kind::timestamp));
  BOOST_TEST(((*cols)[3].kind == column_kind::unknown));

  // Reading it fails from fetch, as a value, and keeps failing.
  auto cursor = open_ok(spec(query));
  packed_rows out;
  out.push_back("earlier");
  std::string message = error_of(cursor->fetch(out, 10));
  BOOST_TEST(contains(message, "SQLite failed while reading rows: integer overflow"), message);
  BOOST_TEST(out.size() == 1u);  // nothing half-written is left behind
  BOOST_TEST(out.bytes == "earlier");
  BOOST_TEST(error_of(cursor->fetch(out, 10)) == message);
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_and_is_not_created) {
  std::string missing = dir.file("nope/missing.db");
  auto cursor = open_source(source_spec{"sqlite", {{"path", missing}}, "SELECT 1"});
  std::string message = error_of(cursor);
  BOOST_TEST(contains(message, "source.path: cannot open SQLite database \"" + missing + "\": "),
             message);
  BOOST_TEST(contains(message, "unable to open database file"), message);
  BOOST_TEST(!std::filesystem::exists(missing));

  std::string absent = dir.file("absent.db");
  BOOST_TEST(contains(error_of(describe_source(source_spec{"sqlite", {{"path", absent}}, "SELECT 1"})),
                      "cannot open SQLite database"));
  BOOST_TEST(!std::filesystem::exists(absent));
  BOOST_TEST(contains(error_of(open_source(source_spec{"sqlite", {{"path", ""}}, "SELECT 1"})),
                      "source.path: missing"));
}

BOOST_AUTO_TEST_CASE(bad_sql_names_the_problem) {
  exec("CREATE TABLE users(id INTEGER, email TEXT);");
  std::string message = error_of(open_source(spec("SELECT id, emial FROM users")));
  BOOST_TEST(contains(message,
                      "source.query: SQLite could not prepare the query: "
                      "no such column: emial (near \"emial FROM users\")"),
             message);
  BOOST_TEST(contains(error_of(describe_source(spec("SELEC 1"))), "syntax error"));
}

BOOST_AUTO_TEST_CASE(duplicate_column_names_are_refused) {
  exec("CREATE TABLE users(id INTEGER, email TEXT);");
  const std::string expected =
      "source.query: the query returns column \"id\" twice; give each column a unique name";
  BOOST_TEST(error_of(open_source(spec("SELECT id, email, id FROM users"))) == expected);
  BOOST_TEST(error_of(describe_source(spec("SELECT id, email AS id FROM users"))) == expected);
}

BOOST_AUTO_TEST_CASE(only_one_read_only_statement) {
  exec("CREATE TABLE users(id INTEGER); INSERT INTO users VALUES (1);");
  BOOST_TEST(contains(error_of(open_source(spec("SELECT id FROM users; DELETE FROM users"))),
                      "more than one statement"));
  BOOST_TEST(
      contains(error_of(open_source(spec("SELECT 1; ; SELECT 2"))), "more than one statement"));
  BOOST_TEST(contains(error_of(open_source(spec("DELETE FROM users"))), "is not read-only"));
  BOOST_TEST(contains(error_of(open_source(spec("  ;  "))), "source.query: is empty"));
  auto cursor = open_ok(spec("SELECT id FROM users ;\n -- the end\n"));
  BOOST_TEST(drain(*cursor, 10).rows.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_no_database) {
  write_file(path, "this is not a database, just some text that is long enough to have a header");
  std::string message = error_of(open_source(spec("SELECT 1")));
  BOOST_TEST(contains(message, "source.path: cannot read SQLite database \"" + path +
                                   "\": file is not a database"),
             message);
}

BOOST_AUTO_TEST_CASE(unknown_source_type) {
  BOOST_TEST(contains(error_of(open_source(source_spec{"oracle", {{"path", path}}, "SELECT 1"})),
                      "source.type: unknown source type \"oracle\"; expected one of \"sqlite\", "
                      "\"postgres\""));
  BOOST_TEST(
      contains(error_of(describe_source(source_spec{"", {{"path", path}}, "SELECT 1"})), "source.type"));
}

BOOST_AUTO_TEST_SUITE_END()
