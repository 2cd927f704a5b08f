// Drift-check comparisons: what a destination answers against what Backflow delivered, with the
// expectations written from the vendors' storage rules (numbers exact, "" as no value).
#include <boost/test/unit_test.hpp>

#include "pipelines/delivery/read_back.hpp"

using namespace backflow;

BOOST_AUTO_TEST_SUITE(read_back)

namespace {

read_value text(std::string t) { return {read_value::kind::text, std::move(t)}; }
read_value number(std::string t) { return {read_value::kind::number, std::move(t)}; }
const read_back_rules vendor;  // empty text is no value

}  // namespace

BOOST_AUTO_TEST_CASE(numbers_compare_as_exact_decimals_never_as_doubles) {
  const std::string wide = "12345678901234567890.123456789012345678";
  BOOST_TEST(same_value(cell::of_decimal(wide), text(wide), vendor));
  BOOST_TEST(same_value(cell::of_decimal(wide), number(wide + "000"), vendor));
  // The double nearest to it prints as 1.2345678901234567e19: not the same number.
  BOOST_TEST(!same_value(cell::of_decimal(wide), number("1.2345678901234567e19"), vendor));
  BOOST_TEST(!same_value(cell::of_decimal(wide), text("12345678901234567890.123456789012345679"), vendor));
  BOOST_TEST(same_value(cell::of_integer(9007199254740993), text("9007199254740993"), vendor));
  BOOST_TEST(!same_value(cell::of_integer(9007199254740993), number("9007199254740992"), vendor));
  BOOST_TEST(same_value(cell::of_decimal("1.50"), text("1.5"), vendor));
  BOOST_TEST(same_value(cell::of_real(19.99), number("19.990"), vendor));
  BOOST_TEST(same_value(cell::of_integer(1500), number("1.5E+3"), vendor));
  BOOST_TEST(same_value(cell::of_decimal("0.00"), number("-0"), vendor));
  BOOST_TEST(!same_value(cell::of_integer(7), text("seven"), vendor));
  BOOST_TEST(!same_value(cell::of_integer(7), read_value{}, vendor));
}

BOOST_AUTO_TEST_CASE(null_and_empty_follow_the_vendors_storage) {
  BOOST_TEST(same_value(cell::null_cell(), read_value{}, vendor));
  BOOST_TEST(same_value(cell::null_cell(), read_value{read_value::kind::null, ""}, vendor));
  BOOST_TEST(same_value(cell::null_cell(), text(""), vendor));
  BOOST_TEST(same_value(cell::of_text(""), read_value{read_value::kind::null, ""}, vendor));
  BOOST_TEST(!same_value(cell::null_cell(), text("x"), vendor));
  read_back_rules keeps_empty;
  keeps_empty.empty_is_null = false;
  BOOST_TEST(!same_value(cell::null_cell(), text(""), keeps_empty));
  BOOST_TEST(same_value(cell::of_text(""), text(""), keeps_empty));
  BOOST_TEST(!same_value(cell::of_text(""), read_value{}, keeps_empty));
}

BOOST_AUTO_TEST_CASE(text_is_compared_byte_for_byte) {
  BOOST_TEST(same_value(cell::of_text("Zoë 名前"), text("Zoë 名前"), vendor));
  BOOST_TEST(!same_value(cell::of_text("Zoë"), text("Zoe\xCC\x88"), vendor));  // NFD is other bytes
  BOOST_TEST(!same_value(cell::of_text("a "), text("a"), vendor));
  BOOST_TEST(same_value(cell::of_bool(true), text("true"), vendor));
  BOOST_TEST(same_value(cell::of_bool(false), read_value{read_value::kind::boolean, "false"}, vendor));
  BOOST_TEST(!same_value(cell::of_bool(true), text("1"), vendor));
  BOOST_TEST(same_value(cell::of_bytes("\x01\x02"), text("AQI="), vendor));
}

BOOST_AUTO_TEST_CASE(exact_json_keeps_every_number_digit_for_digit) {
  auto doc = parse_exact_json(
      R"([{"a": 12345678901234567890.123456789012345678, "b": 9007199254740993,)"
      R"( "c": 123456789012345678901234567890, "d": 1.5E+3, "e": "t", "f": null, "g": [true]}])");
  BOOST_REQUIRE(doc.is_array());
  const auto& r = doc[0];
  BOOST_TEST(read_value::of_json(r["a"]).text == "12345678901234567890.123456789012345678");
  BOOST_TEST(read_value::of_json(r["b"]).text == "9007199254740993");
  BOOST_TEST(read_value::of_json(r["c"]).text == "123456789012345678901234567890");
  BOOST_TEST(read_value::of_json(r["d"]).text == "1.5E+3");
  BOOST_TEST((read_value::of_json(r["a"]).what == read_value::kind::number));
  BOOST_TEST((read_value::of_json(r["e"]).what == read_value::kind::text));
  BOOST_TEST((read_value::of_json(r["f"]).what == read_value::kind::null));
  BOOST_TEST(r["g"][0] == true);
  BOOST_TEST(parse_exact_json("{\"a\": 1,").is_discarded());
  BOOST_TEST(parse_exact_json("").is_discarded());
}

BOOST_AUTO_TEST_SUITE_END()
