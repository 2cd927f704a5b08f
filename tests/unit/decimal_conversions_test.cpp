// Conversions of exact decimals and bytes, and the mapping's `binary` policy.
#include <boost/test/unit_test.hpp>

#include "pipelines/mapping/row_mapper.hpp"
#include "pipelines/mapping/transforms.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

cell dec(std::string_view text) {
  return cell::of_decimal(text);
}

cell converted(field_type t, const cell& in, std::string& scratch) {
  auto r = convert_cell(t, in, scratch);
  BOOST_REQUIRE_MESSAGE(r.ok(), "conversion failed: " << (r.ok() ? "" : r.error().message));
  return *r;
}

std::string failure_of(field_type t, const cell& in) {
  std::string scratch;
  auto r = convert_cell(t, in, scratch);
  BOOST_TEST(!r.ok());
  return r.ok() ? "" : r.error().message;
}

const std::string forty_digits = "1234567890123456789012345678.0123456789";

}  // namespace

BOOST_AUTO_TEST_SUITE(decimal_conversions)

BOOST_AUTO_TEST_CASE(number_keeps_decimals_exact) {
  std::string s;
  auto big = converted(field_type::number, dec(forty_digits), s);
  BOOST_TEST((big.type == cell_type::decimal));
  BOOST_TEST(big.text == forty_digits);
  // Text: integers that fit 64 bits become integers, everything else an exact decimal.
  auto past_2_53 = converted(field_type::number, txt("9007199254740993"), s);
  BOOST_TEST((past_2_53.type == cell_type::integer));
  BOOST_TEST(past_2_53.integer == 9007199254740993);
  auto cents = converted(field_type::number, txt(" 12345678901234567.89 "), s);
  BOOST_TEST((cents.type == cell_type::decimal));
  BOOST_TEST(cents.text == "12345678901234567.89");
  auto beyond = converted(field_type::number, txt("9223372036854775808"), s);
  BOOST_TEST((beyond.type == cell_type::decimal));
  BOOST_TEST(beyond.text == "9223372036854775808");
  auto tiny = converted(field_type::number, txt("1e-7"), s);
  BOOST_TEST((tiny.type == cell_type::decimal));
  BOOST_TEST(tiny.text == "0.0000001");
  auto written = converted(field_type::number, txt("7.0"), s);  // its precision, as written
  BOOST_TEST((written.type == cell_type::decimal));
  BOOST_TEST(written.text == "7.0");
  auto quarter = converted(field_type::number, txt("3.25"), s);
  BOOST_TEST(quarter.text == "3.25");
  BOOST_TEST((converted(field_type::number, txt("-0"), s).type == cell_type::integer));
  BOOST_TEST(converted(field_type::number, txt("-0.0"), s).text == "0.0");
  BOOST_TEST(failure_of(field_type::number, cell::of_bytes("\x01")) == "AQ== is not a number");
}

BOOST_AUTO_TEST_CASE(integer_takes_decimals_with_a_zero_fraction) {
  std::string s;
  auto whole = converted(field_type::integer, dec("-42.000"), s);
  BOOST_TEST((whole.type == cell_type::integer));
  BOOST_TEST(whole.integer == -42);
  auto huge = converted(field_type::integer, dec("123456789012345678901234567890.00"), s);
  BOOST_TEST((huge.type == cell_type::decimal));  // exact, past 64 bits
  BOOST_TEST(huge.text == "123456789012345678901234567890");
  auto from_text = converted(field_type::integer, txt("9223372036854775808"), s);
  BOOST_TEST((from_text.type == cell_type::decimal));
  BOOST_TEST(from_text.text == "9223372036854775808");
  BOOST_TEST(converted(field_type::integer, dec("-0.00"), s).integer == 0);
  BOOST_TEST(failure_of(field_type::integer, dec("12.50")) == "12.50 is not an integer");
  BOOST_TEST(failure_of(field_type::integer, dec(forty_digits)) == forty_digits + " is not an integer");
}

BOOST_AUTO_TEST_CASE(string_writes_decimals_and_bytes_exactly) {
  std::string s;
  auto text = converted(field_type::string, dec("1.50"), s);
  BOOST_TEST((text.type == cell_type::text));
  BOOST_TEST(text.text == "1.50");
  BOOST_TEST(converted(field_type::string, dec(forty_digits), s).text == forty_digits);
  // printf '\x00\xff\x10\x80bin\nary' | base64
  auto blob = converted(field_type::string, cell::of_bytes(std::string("\x00\xff\x10\x80" "bin\nary", 11)), s);
  BOOST_TEST((blob.type == cell_type::text));
  BOOST_TEST(blob.text == "AP8QgGJpbgphcnk=");
}

BOOST_AUTO_TEST_CASE(boolean_and_datetime_of_decimals) {
  std::string s;
  BOOST_TEST(converted(field_type::boolean, dec("1"), s).boolean());
  BOOST_TEST((converted(field_type::boolean, dec("0"), s).type == cell_type::boolean_false));
  BOOST_TEST(failure_of(field_type::boolean, dec("1.0")) == "1.0 is not a boolean");
  BOOST_TEST(converted(field_type::datetime, dec("1700000000.75"), s).text == "2023-11-14T22:13:20Z");
  BOOST_TEST(converted(field_type::datetime, dec("-0.5"), s).text == "1969-12-31T23:59:59Z");
  BOOST_TEST(failure_of(field_type::datetime, dec("99999999999999999999.5")).rfind(
                 "99999999999999999999.5 is not a date-time: as unix seconds it must lie", 0) == 0);
  BOOST_TEST(failure_of(field_type::datetime, dec("-9223372036854775808.5")).rfind(
                 "-9223372036854775808.5 is not a date-time", 0) == 0);
  BOOST_TEST(failure_of(field_type::datetime, cell::of_bytes("x")) ==
             "eA== is not an ISO-8601 date-time");
}

BOOST_AUTO_TEST_CASE(binary_values_go_as_base64_or_reject_their_record) {
  const schema columns = {{"id", column_kind::integer}, {"photo", column_kind::bytes}};
  const std::string blob("\x00\xff\x10\x80" "bin\nary", 11);
  auto row = encode_row({num(1), cell::of_bytes(blob)});

  mapping_rule keep{"photo", "photo", field_type::keep, {}};
  auto as_is = row_mapper::compile({keep}, columns);
  BOOST_REQUIRE(as_is.ok());
  std::string out;
  BOOST_REQUIRE(as_is->map(row, out).ok());
  auto kept = decode_row(out);
  BOOST_REQUIRE_EQUAL(kept.size(), 1u);
  BOOST_TEST((kept[0].type == cell_type::bytes));  // payloads render it as base64
  BOOST_TEST(kept[0].text == blob);

  mapping_rule as_text{"photo", "photo", field_type::string, {}};
  auto text = row_mapper::compile({as_text}, columns);
  out.clear();
  BOOST_REQUIRE(text->map(row, out).ok());
  BOOST_TEST(decode_row(out)[0].text == "AP8QgGJpbgphcnk=");

  mapping_rule refuse{"photo", "photo", field_type::string, {transform_kind::trim},
                      binary_policy::reject};
  auto rejecting = row_mapper::compile({refuse}, columns);
  out = "untouched";
  auto mapped = rejecting->map(row, out);
  BOOST_REQUIRE(!mapped.ok());
  BOOST_TEST(mapped.error().message ==
             "column \"photo\": a binary value (11 bytes) and the sync says \"binary\": \"reject\"");
  BOOST_TEST(out == "untouched");
  // Nulls and other values of the column still map.
  out.clear();
  BOOST_TEST(rejecting->map(encode_row({num(2), null()}), out).ok());
}

BOOST_AUTO_TEST_SUITE_END()
