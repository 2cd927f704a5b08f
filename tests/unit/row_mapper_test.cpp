// The compiled field mapping: column resolution, chained transforms, conversions and failures.
#include <boost/test/unit_test.hpp>

#include "pipelines/mapping/row_mapper.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

const schema model = {{"email", column_kind::text},
                      {"score", column_kind::text},
                      {"tier", column_kind::text},
                      {"signup", column_kind::integer}};


std::vector<mapping_rule> rules() {
  using tk = transform_kind;
  return {
      {"email", "email", field_type::keep, {tk::trim, tk::lowercase}},
      {"score", "pql_score", field_type::number, {}},
      {"signup", "signed_up_at", field_type::datetime, {}},
      {"email", "email_hash", field_type::keep, {tk::hash_email}},
      {"tier", "tier", field_type::keep, {tk::trim, tk::uppercase, tk::lowercase}},
  };
}

row_mapper compiled() {
  auto m = row_mapper::compile(rules(), model);
  BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
  return std::move(m).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(row_mapping)

BOOST_AUTO_TEST_CASE(maps_a_row_to_fields_in_rule_order) {
  auto m = compiled();
  BOOST_TEST(m.field_names() == std::vector<std::string>(
                                    {"email", "pql_score", "signed_up_at", "email_hash", "tier"}));
  std::string out;
  auto st = m.map(
      encode_row({txt(" Alice@Example.com "), txt("12"), txt("  Gold "), num(1700000000)}), out);
  BOOST_REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  auto cells = decode_row(out);
  BOOST_REQUIRE_EQUAL(cells.size(), 5u);
  BOOST_TEST(cells[0].text == "alice@example.com");
  BOOST_TEST((cells[1].type == cell_type::integer));
  BOOST_TEST(cells[1].integer == 12);
  BOOST_TEST((cells[2].type == cell_type::timestamp));
  BOOST_TEST(cells[2].text == "2023-11-14T22:13:20Z");
  BOOST_TEST(cells[3].text == alice_sha256);
  BOOST_TEST(cells[4].text == "gold");
}

BOOST_AUTO_TEST_CASE(rows_append_and_nulls_stay_null) {
  auto m = compiled();
  std::string out;
  BOOST_REQUIRE(m.map(encode_row({txt("a@x.com"), txt("1.5"), txt("t"), num(0)}), out).ok());
  auto first = out.size();
  BOOST_REQUIRE(m.map(encode_row({null(), null(), null(), null()}), out).ok());
  auto cells = decode_row(std::string_view(out).substr(first));
  BOOST_REQUIRE_EQUAL(cells.size(), 5u);
  for (const auto& c : cells)
    BOOST_TEST(c.is_null());
  auto earlier = decode_row(std::string_view(out).substr(0, first));
  BOOST_REQUIRE_EQUAL(earlier.size(), 5u);
  BOOST_TEST(earlier[1].text == "1.5");  // text mapped to a number stays an exact decimal
  BOOST_TEST((earlier[1].type == cell_type::decimal));
  BOOST_TEST(earlier[2].text == "1970-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_bad_value_names_the_column_and_leaves_out_unchanged) {
  auto m = compiled();
  std::string out = "previous";
  auto st = m.map(encode_row({txt("a@x.com"), txt("lots"), txt("t"), num(0)}), out);
  BOOST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message == "column \"score\": \"lots\" is not a number");
  BOOST_TEST(out == "previous");
}

BOOST_AUTO_TEST_CASE(a_short_row_names_the_missing_column) {
  auto m = compiled();
  std::string out;
  auto st = m.map(encode_row({txt("a@x.com"), txt("1"), txt("t")}), out);
  BOOST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message == "row has no value for column \"signup\"");
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(compile_names_the_rule_and_lists_the_columns) {
  auto r = rules();
  r[1].from = "pql";
  auto m = row_mapper::compile(r, model);
  BOOST_REQUIRE(!m.ok());
  BOOST_TEST(m.error().message ==
             "mapping[1].from: column \"pql\" is not returned by the query "
             "(columns: email, score, tier, signup)");
}

BOOST_AUTO_TEST_CASE(column_names_match_exactly) {
  auto m = row_mapper::compile({{"Email", "email", field_type::keep, {}}}, model);
  BOOST_TEST(!m.ok());
}

BOOST_AUTO_TEST_SUITE_END()
