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
  BOOST_TEST(ok(field_type::string, real(1.0), s).text == "1");
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
  BOOST_TEST(ok(field_type::number, txt("1e3"), s).integer == 1000);  // integral: an integer
  BOOST_TEST(ok(field_type::number, txt("+12"), s).integer == 12);
  BOOST_TEST(ok(field_type::number, txt("007"), s).integer == 7);
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
  // Hex, infinities, NaN and separators are not numbers whatever strtod thinks.
  for (const char* bad : {"0x1A", "0X1a", "-0x10", "0x1p3", "inf", "-Infinity", "NaN", "-nan",
                          "1,5", "1_000", "1 000", "1e", "e5", ".", "+", "--1", "1.2.3", "\u0661",
                          "\xef\xbc\x91"})  // Arabic-Indic one, fullwidth one
    BOOST_TEST(error_of(field_type::number, txt(bad)) == "\"" + std::string(bad) +
                                                           "\" is not a number");
  BOOST_TEST(error_of(field_type::number, cell::of_bool(true)) == "true is not a number");
  BOOST_TEST(error_of(field_type::number, real(std::numeric_limits<double>::infinity())) ==
             "inf is not a finite number");
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
  // Text with only zeros after the point is an integer; anything else with a fraction is not.
  BOOST_TEST(ok(field_type::integer, txt("1.0"), s).integer == 1);
  BOOST_TEST(ok(field_type::integer, txt("-12.000"), s).integer == -12);
  BOOST_TEST(ok(field_type::integer, txt("1.5E+1"), s).integer == 15);
  BOOST_TEST(error_of(field_type::integer, txt("1.5")) == "\"1.5\" is not an integer");
  BOOST_TEST(error_of(field_type::integer, txt("0x10")) == "\"0x10\" is not an integer");
  BOOST_TEST(error_of(field_type::integer, txt("1e-1")) == "\"1e-1\" is not an integer");
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
  BOOST_TEST(ok(field_type::datetime, num(951782400), s).text == "2000-02-29T00:00:00Z");
  BOOST_TEST(ok(field_type::datetime, num(-1), s).text == "1969-12-31T23:59:59Z");
  BOOST_TEST(ok(field_type::datetime, real(1700000000.9), s).text == "2023-11-14T22:13:20Z");
  BOOST_TEST(ok(field_type::datetime, real(-0.5), s).text == "1969-12-31T23:59:59Z");
  auto sql = ok(field_type::datetime, txt(" 2024-03-05 06:07:08 "), s);
  BOOST_TEST((sql.type == cell_type::timestamp));
  BOOST_TEST(sql.text == "2024-03-05T06:07:08");
  BOOST_TEST(ok(field_type::datetime, txt("2024-03-05"), s).text == "2024-03-05");
  BOOST_TEST(ok(field_type::datetime, txt("2024-03-05T06:07:08Z"), s).text ==
             "2024-03-05T06:07:08Z");
  BOOST_TEST(error_of(field_type::datetime, txt("yesterday")) ==
             "\"yesterday\" is not an ISO-8601 date-time: expected YYYY-MM-DD, optionally "
             "followed by a time");
  BOOST_TEST(error_of(field_type::datetime, txt("2024-3-5")).rfind(
                 "\"2024-3-5\" is not an ISO-8601 date-time", 0) == 0);
  BOOST_TEST(error_of(field_type::datetime, cell::of_bool(true)) ==
             "true is not an ISO-8601 date-time");
}

// The first and last seconds four-digit years can write: 0001-01-01T00:00:00Z (unix
// -62135596800) and 9999-12-31T23:59:59Z (unix 253402300799), both from `date -u -d`.
BOOST_AUTO_TEST_CASE(unix_seconds_must_land_in_years_0001_to_9999) {
  std::string s;
  BOOST_TEST(ok(field_type::datetime, num(-62135596800), s).text == "0001-01-01T00:00:00Z");
  BOOST_TEST(ok(field_type::datetime, num(253402300799), s).text == "9999-12-31T23:59:59Z");
  const std::string range =
      " is not a date-time: as unix seconds it must lie between -62135596800 and 253402300799 "
      "(years 0001 to 9999)";
  BOOST_TEST(error_of(field_type::datetime, num(253402300800)) == "253402300800" + range);
  BOOST_TEST(error_of(field_type::datetime, num(-62135596801)) == "-62135596801" + range);
  // Milliseconds mistaken for seconds: year 55840 before, now a rejection.
  BOOST_TEST(error_of(field_type::datetime, num(1700000000000)) == "1700000000000" + range);
  BOOST_TEST(error_of(field_type::datetime, num(std::numeric_limits<int64_t>::max())) ==
             "9223372036854775807" + range);
  BOOST_TEST(error_of(field_type::datetime, num(std::numeric_limits<int64_t>::min())) ==
             "-9223372036854775808" + range);
  BOOST_TEST(error_of(field_type::datetime, real(1e300)) == "1e+300" + range);
  BOOST_TEST(error_of(field_type::datetime, real(-1e15)) == "-1e+15" + range);
}

BOOST_AUTO_TEST_CASE(text_dates_must_be_real_calendar_days_and_times) {
  std::string s;
  auto bad = [](const char* text) { return error_of(field_type::datetime, txt(text)); };
  const std::string prefix = " is not an ISO-8601 date-time: ";
  BOOST_TEST(bad("2024-02-30") == "\"2024-02-30\"" + prefix + "February 2024 has 29 days");
  BOOST_TEST(bad("2023-02-29") == "\"2023-02-29\"" + prefix + "February 2023 has 28 days");
  BOOST_TEST(bad("1900-02-29") == "\"1900-02-29\"" + prefix + "February 1900 has 28 days");
  BOOST_TEST(bad("2024-04-31 10:00") == "\"2024-04-31 10:00\"" + prefix + "April 2024 has 30 days");
  BOOST_TEST(bad("2024-13-01") == "\"2024-13-01\"" + prefix + "month 13 is out of range");
  BOOST_TEST(bad("2024-00-10") == "\"2024-00-10\"" + prefix + "month 00 is out of range");
  BOOST_TEST(bad("2024-01-00") == "\"2024-01-00\"" + prefix + "day 00 does not exist");
  BOOST_TEST(bad("0000-01-01") ==
             "\"0000-01-01\"" + prefix + "year 0000 does not exist (years run from 0001)");
  BOOST_TEST(bad("2024-01-01T24:00:00") == "\"2024-01-01T24:00:00\"" + prefix + "hour 24 is out of range");
  BOOST_TEST(bad("2024-01-01T23:60") == "\"2024-01-01T23:60\"" + prefix + "minute 60 is out of range");
  BOOST_TEST(bad("2024-01-01T23:59:60Z") == "\"2024-01-01T23:59:60Z\"" + prefix + "second 60 is out of range");
  BOOST_TEST(bad("2024-01-01T12:00:00+24:00") ==
             "\"2024-01-01T12:00:00+24:00\"" + prefix + "offset +24:00 is out of range");
  for (const char* malformed : {"2024-01-01T12", "2024-01-01T12:00:00 +02:00", "2024-01-01X12:00",
                                "2024-01-01T12:00:00.", "2024-01-01T12:00:00+2", "2024-01-01T1:00",
                                "2024-01-01T12:00:00ZZ", "2024-01-01T12:00:00+02:00:0"})
    BOOST_TEST(bad(malformed).rfind("\"" + std::string(malformed) + "\"" + prefix, 0) == 0, malformed);
  // Real days and times pass, as written (a space before the time becomes 'T').
  BOOST_TEST(ok(field_type::datetime, txt("2024-02-29"), s).text == "2024-02-29");
  BOOST_TEST(ok(field_type::datetime, txt("2000-02-29T00:00"), s).text == "2000-02-29T00:00");
  BOOST_TEST(ok(field_type::datetime, txt("0001-01-01 00:00:00"), s).text == "0001-01-01T00:00:00");
  BOOST_TEST(ok(field_type::datetime, txt("9999-12-31T23:59:59.999999Z"), s).text ==
             "9999-12-31T23:59:59.999999Z");
  BOOST_TEST(ok(field_type::datetime, txt("2024-06-30T12:00:00,5+05:30"), s).text ==
             "2024-06-30T12:00:00,5+05:30");
  BOOST_TEST(ok(field_type::datetime, txt("2024-06-30T12:00:00-0800"), s).text ==
             "2024-06-30T12:00:00-0800");
  BOOST_TEST(ok(field_type::datetime, txt("1880-06-30T12:00:00+00:09:21"), s).text ==
             "1880-06-30T12:00:00+00:09:21");
  auto ts = ok(field_type::datetime, cell::of_text("2024-03-31T01:00:00Z", cell_type::timestamp), s);
  BOOST_TEST(ts.text == "2024-03-31T01:00:00Z");
  BOOST_TEST(bad("2024-02-30T00:00:00Z").find("February 2024 has 29 days") != std::string::npos);
}

// Reals as text: the shortest digits that read back as the same double, never %.17g noise.
BOOST_AUTO_TEST_CASE(reals_become_their_shortest_text) {
  std::string s;
  BOOST_TEST(ok(field_type::string, real(19.99), s).text == "19.99");
  BOOST_TEST(ok(field_type::string, real(0.1), s).text == "0.1");
  BOOST_TEST(ok(field_type::string, real(0.1 + 0.2), s).text == "0.30000000000000004");
  BOOST_TEST(ok(field_type::string, real(1e-7), s).text == "1e-07");
  BOOST_TEST(ok(field_type::string, real(-2.5e-300), s).text == "-2.5e-300");
  BOOST_TEST(ok(field_type::string, real(1e16), s).text == "1e+16");
  BOOST_TEST(ok(field_type::string, real(12345678901234567.89), s).text == "12345678901234568");
  BOOST_TEST(ok(field_type::string, real(9007199254740993.0), s).text == "9007199254740992");
  BOOST_TEST(ok(field_type::string, real(std::numeric_limits<double>::max()), s).text ==
             "1.7976931348623157e+308");
  // -0.0 is stored as 0 (row_codec canonicalises it).
  auto zero = decode_row(encode_row({real(-0.0)}));
  BOOST_REQUIRE_EQUAL(zero.size(), 1u);
  BOOST_TEST(ok(field_type::string, zero[0], s).text == "0");
  BOOST_TEST(ok(field_type::number, real(19.99), s).real == 19.99);
}

BOOST_AUTO_TEST_SUITE_END()
