// The source conformance suite: every registered source reads the same edge row, built in its
// own dialect by its adapter, as the same canonical cells. A source without an adapter fails.
#define BOOST_TEST_MODULE source_conformance
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "connectors/sources/registry.hpp"
#include "tests/sources/conformance/source_adapter.hpp"
#include "tests/sources/source_test_util.hpp"

using namespace backflow;
using namespace backflow::testing;
namespace data = boost::unit_test::data;

namespace {

/// One edge: a column of the edge row and the cell every source must read for it.
struct edge {
  std::string column;
  cell_type type;
  std::string text;  ///< cell_to_string of the cell: exact digits, ISO times, the text itself
};

std::string repeated(const std::string& part, size_t times) {
  std::string s;
  for (size_t i = 0; i < times; ++i)
    s += part;
  return s;
}

// Written by hand from the values the adapters insert, not from any source's output: UTC for
// instants ("+00:00"), a decimal's scale kept, 2^64 - 1 past int64 as a decimal.
const std::vector<edge>& expected_edges() {
  static const std::vector<edge> edges = {
      {"id", cell_type::integer, "1"},
      {"int_2_53_plus_1", cell_type::integer, "9007199254740993"},
      {"int64_max", cell_type::integer, "9223372036854775807"},
      {"int64_min", cell_type::integer, "-9223372036854775808"},
      {"uint64_max", cell_type::decimal, "18446744073709551615"},
      {"dec38", cell_type::decimal, "1234567890123456789012345678.9012345678"},
      {"dec38_negative", cell_type::decimal, "-1234567890123456789012345678.9012345678"},
      {"dec_small_scale", cell_type::decimal, "-0.50"},
      // The canonical encoding has one zero: -0.0 and 0.0 hash alike (row_codec.cpp).
      {"real_negative_zero", cell_type::real, "0"},
      {"date_before_1970", cell_type::timestamp, "1969-07-20"},
      {"ts_before_1970", cell_type::timestamp, "1969-12-31T23:59:59+00:00"},
      // 03:30 in Paris just after the spring change (CEST, +02) and the second 02:30 of the
      // autumn change (CET, +01) are both 01:30 UTC.
      {"ts_dst_spring", cell_type::timestamp, "2024-03-31T01:30:00+00:00"},
      {"ts_dst_autumn", cell_type::timestamp, "2024-10-27T01:30:00+00:00"},
      {"bool_true", cell_type::boolean_true, "true"},
      {"bool_false", cell_type::boolean_false, "false"},
      {"text_null", cell_type::null, "null"},
      {"text_empty", cell_type::text, ""},
      {"text_4byte", cell_type::text, "\xF0\x9D\x84\x9E\xF0\x9F\x8E\x89"},  // 𝄞🎉
      {"text_combining", cell_type::text, "e\xCC\x81"},  // e + U+0301, not normalised to é
      {"json", cell_type::text, R"({"a":[1,2.5,"é"],"b":null})"},
      {"text_100k", cell_type::text, repeated("ab", 51200)},
  };
  return edges;
}

std::string edge_query() {
  std::string q = "SELECT ";
  for (const auto& e : expected_edges())
    q += (e.column == "id" ? "" : ", ") + e.column;
  return q + " FROM edges";
}

std::vector<std::string> adapter_types() {
  std::vector<std::string> types;
  for (const auto& a : source_adapters())
    types.push_back(a.type);
  return types;
}

const source_adapter& adapter_of(const std::string& type) {
  for (const auto& a : source_adapters())
    if (a.type == type)
      return a;
  throw std::runtime_error("no adapter for " + type);
}

std::string shown(const std::string& text) {
  return text.size() > 80 ? text.substr(0, 80) + "... (" + std::to_string(text.size()) + " bytes)"
                          : text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_registered_source_has_an_adapter) {
  std::vector<std::string> registered;
  for (const auto& t : source_types())
    registered.push_back(t.name);
  for (const auto& gap : source_adapter_gaps(registered, adapter_types()))
    BOOST_ERROR(gap);
  // The check itself names a source registered without an adapter.
  auto gaps = source_adapter_gaps({"sqlite", "new_one"}, {"sqlite"});
  BOOST_REQUIRE_EQUAL(gaps.size(), 1u);
  BOOST_TEST(contains(gaps[0], "\"new_one\" is registered but has no conformance adapter"));
}

BOOST_AUTO_TEST_CASE(every_skipped_edge_is_an_edge_with_a_reason) {
  for (const auto& a : source_adapters())
    for (const auto& [column, reason] : a.cannot) {
      bool known = false;
      for (const auto& e : expected_edges())
        known = known || e.column == column;
      BOOST_TEST(known, a.type << ": \"" << column << "\" is no edge of the expected table");
      BOOST_TEST(reason.size() > 20u, a.type << ": say why \"" << column << "\" is skipped");
    }
}

BOOST_DATA_TEST_CASE(the_edge_row_reads_as_the_canonical_cells, data::make(adapter_types()), type) {
  const auto& a = adapter_of(type);
  temp_dir dir;
  auto warehouse = a.open(dir);
  for (const auto& sql : a.create_edges)
    warehouse->exec(sql);
  auto spec = source_spec_of(a, *warehouse, edge_query());

  auto described = describe_source(spec);
  BOOST_REQUIRE_MESSAGE(described.ok(), (described.ok() ? "" : described.error().message));
  auto cursor = open_ok(spec);
  auto all = drain(*cursor, 100);
  BOOST_REQUIRE_EQUAL(all.rows.size(), 1u);
  auto row = all.row(0);
  const auto& edges = expected_edges();
  BOOST_REQUIRE_EQUAL(row.size(), edges.size());
  BOOST_REQUIRE_EQUAL(described->size(), edges.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    const auto& e = edges[i];
    BOOST_TEST((*described)[i].name == e.column);
    BOOST_TEST(cursor->columns()[i].name == e.column);
    if (auto why = a.cannot.find(e.column); why != a.cannot.end()) {
      BOOST_TEST_MESSAGE(type << ": skips " << e.column << ": " << why->second << " (reads "
                              << shown(cell_to_string(row[i])) << ")");
      continue;
    }
    BOOST_TEST(static_cast<int>(row[i].type) == static_cast<int>(e.type),
               type << ": " << e.column << " is cell type " << static_cast<int>(row[i].type)
                    << ", expected " << static_cast<int>(e.type) << " ("
                    << shown(cell_to_string(row[i])) << ")");
    BOOST_TEST(cell_to_string(row[i]) == e.text,
               type << ": " << e.column << " reads " << shown(cell_to_string(row[i]))
                    << ", expected " << shown(e.text));
  }
}

// A query that fails on a late row fails the fetch that reaches it, after earlier fetches
// returned rows: the engine must see the failure, not a shorter model (bad_model e2e checks
// that no delete is sent).
BOOST_DATA_TEST_CASE(a_late_failure_fails_the_read, data::make(adapter_types()), type) {
  const auto& a = adapter_of(type);
  temp_dir dir;
  auto warehouse = a.open(dir);
  for (const auto& sql : a.create_contacts(20000))
    warehouse->exec(sql);
  warehouse->fail_late_read(15000);
  auto cursor = open_ok(source_spec_of(a, *warehouse, a.failing_query(15000)));
  packed_rows out;
  size_t read = 0;
  result<size_t> got = size_t{0};
  while (got.ok() && read <= 20000) {
    got = cursor->fetch(out, 1000);
    if (got.ok() && *got == 0)
      break;
    if (got.ok())
      read += *got;
  }
  BOOST_TEST(!got.ok(), type << ": read " << read << " rows without an error");
  BOOST_TEST(read < 15000u);
  if (!got.ok())
    BOOST_TEST_MESSAGE(type << ": " << got.error().message << " after " << read << " rows");
}
