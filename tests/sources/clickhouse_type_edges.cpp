// The ClickHouse-only type edges and their hand-derived canonical cells (see clickhouse_type_edges.hpp).
#include "tests/sources/clickhouse_type_edges.hpp"

namespace backflow::testing {

void create_clickhouse_type_edges(const std::function<void(const std::string&)>& exec,
                                  const std::string& table) {
  exec("CREATE TABLE " + table + R"sql( (
      id UInt8, dsmall Nullable(Decimal(38, 10)), f32 Float32, t String, fs FixedString(3),
      d Date, ts DateTime, tsp DateTime('Europe/Paris'), arr Array(Nullable(Int64)),
      arrs Array(String), u UUID, e Enum8('red' = 1, 'blue' = 2)) ENGINE = Memory)sql");
  // INSERT ... SELECT with typed conversions: VALUES would read big decimals through a double.
  exec("INSERT INTO " + table + R"sql( SELECT 1, toDecimal128('-0.0000000001', 10), toFloat32(0.1),
      'tab\there\nline\\slash 😀', toFixedString('ab', 3),
      toDate('2024-02-29'), toDateTime('2024-01-05 10:00:00'),
      toDateTime('2024-07-01 12:00:00', 'Europe/Paris'),
      [toNullable(toInt64(1)), NULL, toInt64('9007199254740993')], ['a\'b', 'c\td', '😀'],
      toUUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), 'blue')sql");
  exec("INSERT INTO " + table + R"sql( SELECT 2, NULL, toFloat32(-1.5), '', toFixedString('', 3),
      toDate(0), toDateTime(0),
      toDateTime('2024-01-15 12:00:00', 'Europe/Paris'), [], [],
      toUUID('00000000-0000-0000-0000-000000000000'), 'red')sql");
}

std::string clickhouse_type_edges_query(const std::string& table) {
  return "SELECT * FROM " + table + " ORDER BY id";
}

std::vector<std::vector<expected_cell>> clickhouse_type_edges_expected() {
  using t = cell_type;
  return {
    {
      {"id", t::integer, "1"},
      {"dsmall", t::decimal, "-0.0000000001"},
      {"f32", t::real, "0.1"},                                  // no float noise
      {"t", t::text, "tab\there\nline\\slash \xF0\x9F\x98\x80"},  // TSV escapes undone
      {"fs", t::text, std::string("ab\0", 3)},                  // FixedString keeps its padding
      {"d", t::timestamp, "2024-02-29"},
      {"ts", t::timestamp, "2024-01-05T10:00:00+00:00"},       // server zone UTC
      {"tsp", t::timestamp, "2024-07-01T10:00:00+00:00"},      // Paris CEST is UTC+2
      {"arr", t::text, "[1,null,9007199254740993]"},
      {"arrs", t::text, "[\"a'b\",\"c\\td\",\"\xF0\x9F\x98\x80\"]"},
      {"u", t::text, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
      {"e", t::text, "blue"},
    },
    {
      {"id", t::integer, "2"},
      {"dsmall", t::null, "null"},
      {"f32", t::real, "-1.5"},
      {"t", t::text, ""},
      {"fs", t::text, std::string("\0\0\0", 3)},
      {"d", t::timestamp, "1970-01-01"},                        // 18.16 prints day 0 as 0000-00-00
      {"ts", t::timestamp, "1970-01-01T00:00:00+00:00"},
      {"tsp", t::timestamp, "2024-01-15T11:00:00+00:00"},      // Paris CET is UTC+1
      {"arr", t::text, "[]"},
      {"arrs", t::text, "[]"},
      {"u", t::text, "00000000-0000-0000-0000-000000000000"},
      {"e", t::text, "red"},
    },
  };
}

}  // namespace backflow::testing
