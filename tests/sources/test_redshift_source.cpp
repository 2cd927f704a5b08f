// Tests of the redshift source: its statements against Redshift's documented grammar and
// parameters (hand-written tables below), its type table, and reads of the test PostgreSQL.
#define BOOST_TEST_MODULE redshift_source
#include <boost/test/unit_test.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include "connectors/sources/redshift_source.hpp"
#include "connectors/sources/registry.hpp"
#include "tests/sources/source_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

/// The parameters Redshift's SET takes that a reader could need, with the values its docs allow
/// (Configuration reference, docs.aws.amazon.com/redshift/latest/dg/cm_chap_ConfigurationRef.html).
/// Anything else (bytea_output, DateStyle spelled as PostgreSQL lists it is fine: names are
/// case-insensitive) is refused as an unrecognised parameter.
const std::map<std::string, std::function<bool(const std::string&)>>& redshift_set_parameters() {
  static const std::map<std::string, std::function<bool(const std::string&)>> table = {
      // r_extra_float_digits: "0, -15 to 2"
      {"extra_float_digits",
       [](const std::string& v) { int n = std::stoi(v); return n >= -15 && n <= 2; }},
      // r_datestyle: format (ISO, Postgres, SQL, German) and order (DMY, MDY, YMD)
      {"datestyle",
       [](const std::string& v) {
         return std::regex_match(v, std::regex("'(ISO|Postgres|SQL|German), (DMY|MDY|YMD)'",
                                               std::regex::icase));
       }},
      // r_timezone: a time zone name or offset
      {"timezone", [](const std::string& v) { return v == "'UTC'"; }},
      {"search_path", [](const std::string&) { return true; }},
      {"statement_timeout", [](const std::string&) { return true; }},
      {"query_group", [](const std::string&) { return true; }},
  };
  return table;
}

/// Why Redshift would refuse `statement` by the table above, or "" when it takes it.
std::string redshift_refuses_set(const std::string& statement) {
  std::smatch m;
  // r_SET: SET [SESSION|LOCAL] { parameter {TO|=} value | TIME ZONE value }
  if (std::regex_match(statement, m, std::regex("SET TIME ZONE (.+)", std::regex::icase)))
    return redshift_set_parameters().at("timezone")(m[1]) ? "" : "time zone " + m[1].str();
  if (!std::regex_match(statement, m, std::regex("SET (\\w+) (?:TO|=) (.+)", std::regex::icase)))
    return "not a SET: " + statement;
  std::string name = m[1];
  for (auto& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = redshift_set_parameters().find(name);
  if (it == redshift_set_parameters().end())
    return "unrecognized configuration parameter \"" + name + "\"";
  return it->second(m[2]) ? "" : "value " + m[2].str() + " of " + name;
}

// r_BEGIN: BEGIN [WORK|TRANSACTION] [ISOLATION LEVEL option] [READ WRITE|READ ONLY]
const std::regex redshift_begin(
    "(BEGIN|START TRANSACTION)( (WORK|TRANSACTION))?( ISOLATION LEVEL (SERIALIZABLE|READ "
    "UNCOMMITTED|READ COMMITTED|REPEATABLE READ))?( READ (WRITE|ONLY))?",
    std::regex::icase);
// declare.html: DECLARE cursor_name CURSOR FOR query
const std::regex redshift_declare("DECLARE \\w+ CURSOR FOR ", std::regex::icase);
// fetch.html: "For single-node clusters, the maximum value for count is 1000."
constexpr size_t redshift_single_node_fetch_max = 1000;

std::string test_dsn() {
  const char* file = std::getenv("BACKFLOW_TEST_PG_DSN_FILE");
  BOOST_REQUIRE_MESSAGE(file != nullptr && std::filesystem::exists(file),
                        "no PostgreSQL test server: run through ctest");
  std::string dsn = read_file(file);
  while (!dsn.empty() && (dsn.back() == '\n' || dsn.back() == ' '))
    dsn.pop_back();
  return dsn;
}

source_spec redshift_spec(const std::string& dsn, const std::string& query) {
  return source_spec{"redshift", {{"dsn", dsn}}, query};
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_statement_is_one_redshift_documents) {
  const pg_dialect& r = redshift_dialect();
  for (const auto& statement : r.session_setup)
    BOOST_TEST(redshift_refuses_set(statement).empty(), statement);
  BOOST_TEST(std::regex_match(r.begin, redshift_begin), r.begin);
  BOOST_TEST(std::regex_match(r.declare_prefix, redshift_declare), r.declare_prefix);
  BOOST_TEST(r.max_fetch_rows <= redshift_single_node_fetch_max);
  BOOST_TEST(r.min_fetch_rows <= r.max_fetch_rows);
}

// The tables can fail: what the postgres source sends is what Redshift refuses.
BOOST_AUTO_TEST_CASE(the_postgres_statements_are_refused_by_the_same_tables) {
  const pg_dialect& p = postgres_dialect();
  std::string refused;
  for (const auto& statement : p.session_setup)
    refused += redshift_refuses_set(statement) + ";";
  BOOST_TEST(contains(refused, "unrecognized configuration parameter \"bytea_output\""), refused);
  BOOST_TEST(contains(refused, "value 3 of extra_float_digits"), refused);
  BOOST_TEST(!std::regex_match(p.begin, redshift_begin), p.begin);  // the comma, REPEATABLE READ ok
  BOOST_TEST(!std::regex_match(p.declare_prefix, redshift_declare), p.declare_prefix);  // NO SCROLL
  BOOST_TEST(p.max_fetch_rows > redshift_single_node_fetch_max);
}

// OIDs from Redshift's JDBC driver (com.amazon.redshift.core.Oid), kinds from its type docs.
BOOST_AUTO_TEST_CASE(redshift_types_by_oid) {
  BOOST_TEST((redshift_cell_of(4000) == pg_cell::text));       // SUPER: its JSON text
  BOOST_TEST((redshift_cell_of(6551) == pg_cell::hex_bytes));  // VARBYTE
  BOOST_TEST((redshift_cell_of(1184) == pg_cell::timestamp));  // TIMESTAMPTZ
  BOOST_TEST((redshift_cell_of(1700) == pg_cell::numeric));
  BOOST_TEST((redshift_cell_of(1190) == pg_cell::text));  // INTERVAL DAY TO SECOND
  for (unsigned int unknown : {3000u, 3001u, 2935u, 17u, 600u})  // GEOMETRY, GEOGRAPHY, HLLSKETCH
    BOOST_TEST(!redshift_cell_of(unknown).has_value(), unknown);

  std::string bytes;
  std::string scratch;
  row_writer writer(bytes);
  write_pg_value(writer, pg_cell::hex_bytes, "00ff6162", scratch);  // as Redshift prints it
  write_pg_value(writer, pg_cell::hex_bytes, "616", scratch);       // odd: kept as text
  auto cells = decode_row(bytes);
  BOOST_REQUIRE_EQUAL(cells.size(), 2u);
  BOOST_TEST((cells[0].type == cell_type::bytes));
  BOOST_TEST(std::string(cells[0].text) == std::string("\x00\xff" "ab", 4));
  BOOST_TEST((cells[1].type == cell_type::text));
  BOOST_TEST(std::string(cells[1].text) == "616");
}

BOOST_AUTO_TEST_CASE(port_5439_and_ssl_by_default) {
  const source_type* t = find_source_type("redshift");
  BOOST_REQUIRE(t != nullptr);
  BOOST_TEST(t->location(redshift_spec("host=c.example.com dbname=dev", "SELECT 1")) ==
             "redshift:host=c.example.com port=5439 dbname=dev");
  BOOST_TEST(t->location(redshift_spec("host=h port=6000 dbname=dev", "SELECT 1")) ==
             "redshift:host=h port=6000 dbname=dev");
  // The test server has no SSL: without sslmode in the DSN the connection must insist on it.
  std::string refused = error_of(open_source(redshift_spec(test_dsn(), "SELECT 1")));
  BOOST_TEST(contains(refused, "cannot connect to Redshift"), refused);
  BOOST_TEST(contains(refused, "SSL"), refused);
  // And with no port, 5439 (nothing listens there on the test machine).
  std::string no_port = error_of(
      open_source(redshift_spec("host=127.0.0.1 dbname=dev sslmode=disable connect_timeout=2",
                                "SELECT 1")));
  BOOST_TEST(contains(no_port, "5439"), no_port);
}

BOOST_AUTO_TEST_CASE(reads_through_redshift_statements_on_postgresql) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  auto cursor = open_ok(redshift_spec(
      test_dsn() + " sslmode=disable",
      "SELECT g AS id, 0.1::float8 AS f, '2024-01-05 10:00:00+02'::timestamptz AS tz, "
      "point(1, 2) AS p FROM generate_series(1, 2500) g ORDER BY g"));
  spdlog::set_default_logger(previous);
  BOOST_TEST(contains(log.str(), "server=Redshift column=p type=point"), log.str());
  BOOST_TEST(std::string(to_string(cursor->columns()[3].kind)) == "text");

  auto all = drain(*cursor, 10000);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 2500u);
  auto last = all.row(2499);
  BOOST_TEST(last[0].integer == 2500);
  BOOST_TEST(last[1].real == 0.1);  // 17 digits (extra_float_digits 2) read back the same double
  BOOST_TEST(std::string(last[2].text) == "2024-01-05T08:00:00+00:00");
  BOOST_TEST(std::string(last[3].text) == "(1,2)");

  auto described = describe_source(redshift_spec(test_dsn() + " sslmode=disable",
                                                 "SELECT 1::int8 AS a, 'x'::varchar AS b"));
  BOOST_REQUIRE(described.ok());
  BOOST_TEST(described->size() == 2u);
}

BOOST_AUTO_TEST_CASE(errors_name_redshift) {
  std::string bad = error_of(open_source(
      redshift_spec(test_dsn() + " sslmode=disable", "SELECT nope FROM nowhere")));
  BOOST_TEST(contains(bad, "source.query: Redshift error:"), bad);
  BOOST_TEST(contains(bad, "nowhere"), bad);
}
