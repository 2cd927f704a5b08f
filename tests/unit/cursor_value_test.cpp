// Cursor values of incremental reads: kinds, order across UTC offsets, the window's bound text.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/cursor_value.hpp"

using namespace backflow;

namespace {

std::optional<cursor_value> cursor_of(const cell& c) {
  std::string why;
  return cursor_value_of(c, why);
}

cursor_value timestamp_of(const std::string& text) {
  auto v = parse_cursor_text(cursor_kind::timestamp, text);
  BOOST_REQUIRE_MESSAGE(v.has_value(), text);
  return *v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cursor_values)

BOOST_AUTO_TEST_CASE(integers_and_exact_decimals_are_integer_cursors) {
  auto big = cursor_of(cell::of_integer(9007199254740993LL));
  BOOST_REQUIRE(big.has_value());
  BOOST_TEST((big->kind == cursor_kind::integer));
  BOOST_TEST(big->text == "9007199254740993");
  auto dec = cursor_of(cell::of_decimal("12345678901234567"));
  BOOST_REQUIRE(dec.has_value());
  BOOST_TEST(dec->order == 12345678901234567LL);
  BOOST_TEST(window_start(*big, 15'000) == "9007199254740978");
  BOOST_TEST(window_start(*big, 999) == "9007199254740993");  // whole seconds only
}

BOOST_AUTO_TEST_CASE(offsets_order_instants_not_wall_times) {
  // 14:30+05:00 is 09:30Z, earlier than 05:05-05:00 (10:05Z).
  BOOST_TEST((timestamp_of("2026-03-01T14:30:00+05:00") < timestamp_of("2026-03-01T05:05:00-05:00")));
  BOOST_TEST(timestamp_of("2026-03-01T10:00:00Z").order == timestamp_of("2026-03-01 12:00:00+02").order);
  BOOST_TEST((timestamp_of("2026-03-01T10:00:00.5Z") < timestamp_of("2026-03-01T10:00:00.500001Z")));
  BOOST_TEST(timestamp_of("1969-12-31T23:59:59.25Z").order == -750'000);  // before 1970
  BOOST_TEST(timestamp_of("2026-03-01").order == timestamp_of("2026-03-01T00:00:00").order);
}

BOOST_AUTO_TEST_CASE(the_bound_keeps_the_marks_frame) {
  BOOST_TEST(window_start(timestamp_of("2026-03-01T10:03:19"), 15 * 60'000) == "2026-03-01T09:48:19.000000");
  BOOST_TEST(window_start(timestamp_of("2026-03-01T00:05:00+05:30"), 10 * 60'000) ==
             "2026-02-28T18:25:00.000000+00:00");
  BOOST_TEST(window_start(timestamp_of("2024-03-01T00:00:00.000250Z"), 1) ==
             "2024-02-29T23:59:59.999250+00:00");  // leap day, microseconds
}

BOOST_AUTO_TEST_CASE(other_values_are_named_and_nulls_are_not_cursors) {
  std::string why;
  BOOST_TEST(!cursor_value_of(cell::null_cell(), why).has_value());
  BOOST_TEST(why.empty());
  BOOST_TEST(!cursor_value_of(cell::of_text("soon"), why).has_value());
  BOOST_TEST(why.find("soon") != std::string::npos);
  why.clear();
  BOOST_TEST(!cursor_value_of(cell::of_real(1.5), why).has_value());
  BOOST_TEST(!why.empty());
  BOOST_TEST(!parse_cursor_text(cursor_kind::timestamp, "2026-02-30T00:00:00").has_value());
  BOOST_TEST(!parse_cursor_text(cursor_kind::integer, "12a").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
