// Type conversions of the mapping: every target type, nulls, and failures that name the value.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "pipelines/mapping/transforms.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

/// Converts and returns the cell (the test fails if the conversion does).
cell ok(field_type t, const cell& in, std::string& scratch) {
  auto r = convert_cell(t, in, scratch);
  BOOST_REQUIRE_MESSAGE(r.ok(), "conversion failed: " << (r.ok() ? "" : r.error().message));
  return *r;
}

/// Converts and returns the failure message ("" and a test failure when it succeeds).
std::string error_of(field_type t, const cell& in) {
  std::string scratch;
  auto r = convert_cell(t, in, scratch);
  BOOST_TEST(!r.ok());
  return r.ok() ? "" : r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conversions)

BOOST_AUTO_TEST_CASE(type_names_parse) {
  BOOST_TEST((parse_field_type("datetime") == field_type::datetime));
  BOOST_TEST(!parse_field_type("keep"));  // not a user-facing name
  BOOST_TEST(field_type_names() ==
             std::vector<std::string>({"string", "number", "integer", "boolean", "datetime"}));
}

BOOST_AUTO_TEST_CASE(nulls_and_keep_pass_through) {
  std::string s;
  for (auto t : {field_type::keep, field_type::string, field_type::number, field_type::integer,
                 field_type::boolean, field_type::datetime})
    BOOST_TEST(ok(t, null(), s).is_null());
  auto kept = ok(field_type::keep, real(2.5), s);
  BOOST_TEST((kept.type == cell_type::real));
  BOOST_TEST(kept.real == 2.5);
}

BOOST_AUTO_TEST_CASE(to_string) {
  std::string s;
  auto i = ok(field_type::string, num(-42), s);
  BOOST_TEST((i.type == cell_type::text));
  BOOST_TEST(i.text == "-42");
  BOOST_TEST(ok(field_type::string, real(2.5), s).text == "2.5");
  BOOST_TEST(ok(field_type::string, cell::of_bool(false), s).text == "false");
  auto ts = ok(field_type::string, cell::of_text("2024-01-01T00:00:00Z", cell_type::timestamp), s);
  BOOST_TEST((ts.type == cell_type::text));
  BOOST_TEST(ts.text == "2024-01-01T00:00:00Z");
  BOOST_TEST(ok(field_type::string, txt(" as is "), s).text == " as is ");
}

BOOST_AUTO_TEST_CASE(to_number) {
  std::string s;
  auto i = ok(field_type::number, txt(" 42 "), s);
  BOOST_TEST((i.type == cell_type::integer));
  BOOST_TEST(i.integer == 42);
  BOOST_TEST(ok(field_type::number, txt("-7"), s).integer == -7);
  auto d = ok(field_type::number, txt("3.25"), s);
  BOOST_TEST((d.type == cell_type::real));
  BOOST_TEST(d.real == 3.25);
  BOOST_TEST(ok(field_type::number, txt("1e3"), s).integer == 1000);  // integral: an integer
  BOOST_TEST(ok(field_type::number, num(5), s).integer == 5);
  BOOST_TEST(ok(field_type::number, real(-0.5), s).real == -0.5);
  // Integral reals go out as integers (7, not 7.0) while that is exact, below 2^53.
  auto seven = ok(field_type::number, real(7.0), s);
  BOOST_TEST((seven.type == cell_type::integer));
  BOOST_TEST(seven.integer == 7);
  BOOST_TEST((ok(field_type::number, real(1e17), s).type == cell_type::real));
  BOOST_TEST(error_of(field_type::number, txt("abc")) == "\"abc\" is not a number");
  BOOST_TEST(error_of(field_type::number, txt("")) == "\"\" is not a number");
  BOOST_TEST(error_of(field_type::number, txt("12abc")) == "\"12abc\" is not a number");
  BOOST_TEST(error_of(field_type::number, txt("nan")) == "\"nan\" is not a number");
  BOOST_TEST(error_of(field_type::number, cell::of_bool(true)) == "true is not a number");
  BOOST_TEST(error_of(field_type::number, real(std::numeric_limits<double>::infinity())) ==
             "inf is not a finite number");
}

// The same number read from text keeps the ".0": "7.0" becomes the real 7.0 and is sent as 7.0,
// while the real 7.0 from the warehouse is sent as 7.
BOOST_AUTO_TEST_CASE(integral_numbers_from_text_go_out_as_integers) {
  std::string s;
  BOOST_TEST((ok(field_type::number, txt("7.0"), s).type == cell_type::integer));
}

BOOST_AUTO_TEST_CASE(long_values_are_shortened_in_messages) {
  std::string long_text(100, 'x');
  BOOST_TEST(error_of(field_type::number, txt(long_text)) ==
             "\"" + std::string(60, 'x') + "...\" is not a number");
}

BOOST_AUTO_TEST_CASE(to_integer) {
  std::string s;
  BOOST_TEST(ok(field_type::integer, txt(" 12 "), s).integer == 12);
  auto whole = ok(field_type::integer, real(3.0), s);
  BOOST_TEST((whole.type == cell_type::integer));
  BOOST_TEST(whole.integer == 3);
  BOOST_TEST(ok(field_type::integer, real(-1e15), s).integer == -1000000000000000);
  BOOST_TEST(error_of(field_type::integer, real(3.5)) == "3.5 is not an integer");
  BOOST_TEST(error_of(field_type::integer, real(1e19)) == "1e+19 is not an integer");
  BOOST_TEST(error_of(field_type::integer, txt("1.0")) == "\"1.0\" is not an integer");
  BOOST_TEST(error_of(field_type::integer, txt("9223372036854775808")) ==
             "\"9223372036854775808\" is not an integer");
  BOOST_TEST(error_of(field_type::integer, cell::of_bool(false)) == "false is not an integer");
}

BOOST_AUTO_TEST_CASE(to_boolean) {
  std::string s;
  for (const char* yes : {"true", "T", " yes ", "Y", "1"})
    BOOST_TEST(ok(field_type::boolean, txt(yes), s).boolean(), yes);
  for (const char* no : {"false", "f", "No", "n", "0"}) {
    auto b = ok(field_type::boolean, txt(no), s);
    BOOST_TEST((b.type == cell_type::boolean_false), no);
  }
  BOOST_TEST(ok(field_type::boolean, num(1), s).boolean());
  BOOST_TEST((ok(field_type::boolean, num(0), s).type == cell_type::boolean_false));
  BOOST_TEST(ok(field_type::boolean, cell::of_bool(true), s).boolean());
  BOOST_TEST(error_of(field_type::boolean, num(2)) == "2 is not a boolean");
  BOOST_TEST(error_of(field_type::boolean, txt("maybe")) == "\"maybe\" is not a boolean");
  BOOST_TEST(error_of(field_type::boolean, real(1.0)) == "1 is not a boolean");
}

BOOST_AUTO_TEST_CASE(to_datetime) {
  std::string s;
  auto epoch = ok(field_type::datetime, num(1700000000), s);
  BOOST_TEST((epoch.type == cell_type::timestamp));
  BOOST_TEST(epoch.text == "2023-11-14T22:13:20Z");
  BOOST_TEST(ok(field_type::datetime, num(0), s).text == "1970-01-01T00:00:00Z");
  auto sql = ok(field_type::datetime, txt(" 2024-03-05 06:07:08 "), s);
  BOOST_TEST((sql.type == cell_type::timestamp));
  BOOST_TEST(sql.text == "2024-03-05T06:07:08");
  BOOST_TEST(ok(field_type::datetime, txt("2024-03-05"), s).text == "2024-03-05");
  BOOST_TEST(ok(field_type::datetime, txt("2024-03-05T06:07:08Z"), s).text ==
             "2024-03-05T06:07:08Z");
  BOOST_TEST(error_of(field_type::datetime, txt("yesterday")) ==
             "\"yesterday\" is not an ISO-8601 date-time");
  BOOST_TEST(error_of(field_type::datetime, txt("2024-3-5")) ==
             "\"2024-3-5\" is not an ISO-8601 date-time");
  BOOST_TEST(error_of(field_type::datetime, cell::of_bool(true)) ==
             "true is not an ISO-8601 date-time");
}

BOOST_AUTO_TEST_CASE(unix_seconds_format_in_utc) {
  BOOST_TEST(iso8601_from_unix(951782400) == "2000-02-29T00:00:00Z");
  BOOST_TEST(iso8601_from_unix(-1) == "1969-12-31T23:59:59Z");
}

BOOST_AUTO_TEST_SUITE_END()
