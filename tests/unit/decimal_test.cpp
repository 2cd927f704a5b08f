// Exact numbers and bytes in the row codec: the decimal normaliser, decimal and bytes cells, their text.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>

#include "pipelines/core/decimal.hpp"
#include "pipelines/core/row_codec.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (int v : values)
    out.push_back(static_cast<char>(v));
  return out;
}

std::string normal(std::string_view text) {
  auto n = normalize_decimal(text);
  BOOST_TEST_REQUIRE(n.has_value(), "normalize_decimal refused \"" << text << "\"");
  return *n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decimals)

// Expected values written by hand from the rule: sign, integer digits without leading zeros,
// fraction digits exactly as written, exponents applied, no negative zero.
BOOST_AUTO_TEST_CASE(warehouse_and_user_spellings_normalise) {
  const std::pair<const char*, const char*> cases[] = {
    {"0", "0"},
    {"-0", "0"},
    {"+0.000", "0.000"},
    {"-0.00", "0.00"},
    {"1.50", "1.50"},  // numeric(10,2): the scale is kept
    {"007.10", "7.10"},
    {".5", "0.5"},
    {"-.5", "-0.5"},
    {"5.", "5"},
    {"+42", "42"},
    {"  -17  ", "-17"},
    {"1.5E+3", "1500"},
    {"1.5e3", "1500"},
    {"15e-4", "0.0015"},
    {"1.50E-1", "0.150"},
    {"-1.2345e2", "-123.45"},
    {"0e10", "0"},
    {"1e-7", "0.0000001"},
    {"9007199254740993", "9007199254740993"},
    {"12345678901234567.89", "12345678901234567.89"},
    {"-99999999999999999999999999999999999999", "-99999999999999999999999999999999999999"},
    {"1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"},
  };
  for (const auto& [in, out] : cases)
    BOOST_TEST(normal(in) == out, in);
  BOOST_TEST(normal("1e4096").size() == 4097u);
}

BOOST_AUTO_TEST_CASE(anything_but_a_finite_decimal_is_refused) {
  for (const char* bad : {"", " ", "+", "-", ".", "-.", "e5", "1e", "1e+", "1e4097", "1e-4097",
                          "1e99999999999999999999", "0x1A", "0X1A", "0x1p3", "1A", "inf", "-inf",
                          "Infinity", "NaN", "nan", "1,5", "1_000", "1 000", "1.2.3", "--1", "+-1",
                          "1.5f", "١٢", "１", "1\n2", "Ox10"})
    BOOST_TEST(!normalize_decimal(bad).has_value(), bad);
}

// Random spellings (seeded, so a failure replays): the result is canonical, normalising it again
// changes nothing, and strtod reads the same double from the input and from the result.
BOOST_AUTO_TEST_CASE(random_spellings_keep_their_value) {
  std::mt19937 random(20240229);
  auto digits = [&](int most) {
    std::string out;
    for (int n = static_cast<int>(random() % (most + 1)); n > 0; --n)
      out.push_back(static_cast<char>('0' + random() % 10));
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text = (random() % 3 == 0 ? "-" : random() % 2 ? "+" : "") +
                       std::string(random() % 3, '0') + digits(20);
    if (random() % 2)
      text += "." + digits(20);
    if (random() % 3 == 0)
      text += (random() % 2 ? "e" : "E") + std::string(random() % 2 ? "-" : "+") +
              std::to_string(random() % 40);
    auto n = normalize_decimal(text);
    bool has_digit = text.find_first_of("0123456789") < text.find_first_of("eE");
    BOOST_REQUIRE_MESSAGE(n.has_value() == has_digit, text);
    if (!n)
      continue;
    BOOST_REQUIRE_MESSAGE(is_canonical_decimal(*n), text << " gave " << *n);
    BOOST_REQUIRE_MESSAGE(normalize_decimal(*n) == n, text << " gave " << *n);
    BOOST_REQUIRE_MESSAGE(std::strtod(text.c_str(), nullptr) == std::strtod(n->c_str(), nullptr),
                          text << " gave " << *n);
  }
}

BOOST_AUTO_TEST_CASE(canonical_form_is_recognised) {
  for (const char* good : {"0", "0.00", "-1", "1.50", "-0.5", "12345678901234567.89"})
    BOOST_TEST(is_canonical_decimal(good), good);
  for (const char* bad : {"", "-0", "-0.00", "+1", "01", "1.", ".5", "1e5", "0x1", " 1", "-", "1.5.1"})
    BOOST_TEST(!is_canonical_decimal(bad), bad);
}

BOOST_AUTO_TEST_CASE(integral_parts_and_int64) {
  BOOST_TEST(decimal_is_integral("12"));
  BOOST_TEST(decimal_is_integral("-12.000"));
  BOOST_TEST(!decimal_is_integral("12.010"));
  BOOST_TEST(decimal_integer_part("-12.00") == "-12");
  BOOST_TEST(decimal_integer_part("-0.5") == "0");
  BOOST_TEST(decimal_integer_part("99999999999999999999.0") == "99999999999999999999");
  BOOST_TEST(*decimal_to_int64("9223372036854775807") == std::numeric_limits<int64_t>::max());
  BOOST_TEST(*decimal_to_int64("-9223372036854775808") == std::numeric_limits<int64_t>::min());
  BOOST_TEST(!decimal_to_int64("9223372036854775808"));
  BOOST_TEST(!decimal_to_int64("1.0"));  // fraction digits: a decimal, as written
  BOOST_TEST(!decimal_to_int64(""));
}

BOOST_AUTO_TEST_CASE(decimal_and_bytes_cells_have_their_tags_and_round_trip) {
  // Tags 7 and 8 follow timestamp (6): the numbering is part of the on-disk format.
  BOOST_TEST(encode_row({cell::of_decimal("-1.50")}) == bytes_of({7, 5, '-', '1', '.', '5', '0'}));
  BOOST_TEST(encode_row({cell::of_bytes(bytes_of({0, 0xff}))}) == bytes_of({8, 2, 0, 0xff}));
  const std::string big(38, '9');
  const std::string blob = bytes_of({0, 0xff, 0x10, 0x80, 'b', 'i', 'n', '\n'});
  const auto row = encode_row({cell::of_decimal(big), cell::of_bytes(blob), cell::of_bytes(""),
                               num(1)});
  auto cells = decode_row(row);  // cells view into `row`
  BOOST_REQUIRE_EQUAL(cells.size(), 4u);
  BOOST_TEST((cells[0].type == cell_type::decimal));
  BOOST_TEST(cells[0].text == big);
  BOOST_TEST(!cells[0].is_text_like());
  BOOST_TEST((cells[1].type == cell_type::bytes));
  BOOST_TEST(cells[1].text == blob);
  BOOST_TEST(cells[2].text.empty());
  BOOST_TEST(cells[3].integer == 1);
  // Writing a decoded cell again gives the same bytes.
  std::string again;
  row_writer w{again};
  w.write(cells[0]);
  w.write(cells[1]);
  BOOST_TEST(again == encode_row({cell::of_decimal(big), cell::of_bytes(blob)}));
  // A length past the end is malformed, as for text.
  const std::string short_decimal = bytes_of({7, 9, '1'});
  row_reader r{short_decimal};
  cell c;
  BOOST_TEST(!r.next(c));
}

// Base64 vectors from the `base64` command: printf '\x00\xff\x10\x80bin\nary' | base64
BOOST_AUTO_TEST_CASE(cell_to_string_of_exact_numbers_and_bytes) {
  BOOST_TEST(cell_to_string(cell::of_decimal("12345678901234567.89")) == "12345678901234567.89");
  BOOST_TEST(cell_to_string(cell::of_decimal("1.50")) == "1.50");
  BOOST_TEST(cell_to_string(cell::of_bytes(bytes_of({0, 0xff, 0x10, 0x80, 'b', 'i', 'n', '\n',
                                                     'a', 'r', 'y'}))) == "AP8QgGJpbgphcnk=");
  BOOST_TEST(cell_to_string(cell::of_bytes("a")) == "YQ==");
  BOOST_TEST(cell_to_string(cell::of_bytes(bytes_of({0xfb, 0xff}))) == "+/8=");
  BOOST_TEST(cell_to_string(cell::of_bytes("")) == "");
  BOOST_TEST(cell_to_string(real(19.99)) == "19.99");
  BOOST_TEST(cell_to_string(real(1e-7)) == "1e-07");
  BOOST_TEST(cell_to_string(real(-std::numeric_limits<double>::infinity())) == "-inf");
  BOOST_TEST(cell_to_string(num(std::numeric_limits<int64_t>::min())) == "-9223372036854775808");
}

BOOST_AUTO_TEST_SUITE_END()
