// Value checks over planned rows: UTF-8 validity, long text, NaN and infinity, column kinds.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "pipelines/diff/value_inspector.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;

namespace {

value_inspector contacts(size_t max_bytes = 16) {
  return value_inspector({"email", "bio", "score"}, 1, max_bytes);
}

std::string row(std::string_view email, cell bio, cell score) {
  return unit::encode_row({cell::of_text(email), bio, score});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(value_checks)

BOOST_AUTO_TEST_CASE(utf8_validation_follows_the_standard) {
  BOOST_TEST(valid_utf8(""));
  BOOST_TEST(valid_utf8("plain ascii"));
  BOOST_TEST(valid_utf8("Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80"));  // ë, €, 😀
  BOOST_TEST(!valid_utf8("\xff"));                  // never valid
  BOOST_TEST(!valid_utf8("\xc3"));                  // truncated
  BOOST_TEST(!valid_utf8("\xc3\x28"));              // bad continuation
  BOOST_TEST(!valid_utf8("\xc0\xaf"));              // overlong '/'
  BOOST_TEST(!valid_utf8("\xe0\x80\xaf"));          // overlong, three bytes
  BOOST_TEST(!valid_utf8("\xed\xa0\x80"));          // a UTF-16 surrogate
  BOOST_TEST(!valid_utf8("\xf4\x90\x80\x80"));      // past U+10FFFF
  BOOST_TEST(valid_utf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF itself
  // Runs of ASCII are skipped eight bytes at a time: what follows them is still checked,
  // wherever a run ends.
  for (size_t n = 0; n < 20; ++n) {
    std::string ascii(n, 'a');
    BOOST_TEST(valid_utf8(ascii + "Zo\xc3\xab" + ascii));
    BOOST_TEST(!valid_utf8(ascii + "\xff" + ascii));
    BOOST_TEST(!valid_utf8(ascii + "\xc3"));
    BOOST_TEST(!valid_utf8(ascii + "\xed\xa0\x80" + ascii));
    BOOST_TEST(!valid_utf8("\xc3\xab" + ascii + "\x80"));  // a lone continuation byte
  }
}

BOOST_AUTO_TEST_CASE(good_rows_have_no_findings_and_record_kinds) {
  auto v = contacts();
  v.inspect(row("a@x.com", cell::of_text("hi"), cell::of_real(1.5)));
  v.inspect(row("b@x.com", cell::null_cell(), cell::of_integer(2)));
  BOOST_TEST(v.findings().bad_values == 0u);
  BOOST_TEST(v.findings().kinds == std::vector<uint8_t>({kind_text, kind_text, kind_number}));
  BOOST_TEST(describe_kinds(kind_number | kind_text) == "number or text");
  BOOST_TEST(describe_kinds(0) == "null");
}

BOOST_AUTO_TEST_CASE(each_bad_value_is_named_by_key_and_column) {
  auto v = contacts();
  v.inspect(row("nan@x.com", cell::of_text("ok"), cell::of_real(std::nan(""))));
  v.inspect(row("inf@x.com", cell::of_text("ok"), cell::of_real(-std::numeric_limits<double>::infinity())));
  v.inspect(row("long@x.com", cell::of_text("seventeen bytes!!"), cell::of_real(1)));
  v.inspect(row("bad\xff@x.com", cell::of_text("J\xffo"), cell::of_real(1)));
  const auto& f = v.findings();
  BOOST_TEST(f.bad_values == 5u);
  BOOST_REQUIRE_EQUAL(f.samples.size(), 5u);
  BOOST_TEST(f.samples[0] == "row email=\"nan@x.com\", column score: NaN is not a number a destination accepts");
  BOOST_TEST(f.samples[1].find("row email=\"inf@x.com\", column score: an infinite number") == 0u);
  BOOST_TEST(f.samples[2] == "row email=\"long@x.com\", column bio: 17 bytes exceed guards.max_value_bytes (16)");
  // The key itself is shown escaped, so the error message stays printable.
  BOOST_TEST(f.samples[3] == "row email=\"bad\\xff@x.com\", column email: the text is not valid UTF-8");
  BOOST_TEST(f.samples[4] == "row email=\"bad\\xff@x.com\", column bio: the text is not valid UTF-8");
}

// A PostgreSQL numeric column gives integers, decimals and (for 'NaN') reals: one kind, number.
BOOST_AUTO_TEST_CASE(integers_reals_and_decimals_are_one_kind_bytes_another) {
  auto v = contacts(40);
  v.inspect(row("a@x.com", cell::of_bytes(std::string("\x00\xff", 2)), cell::of_integer(7)));
  v.inspect(row("b@x.com", cell::of_bytes(""), cell::of_decimal("12345678901234567.89")));
  v.inspect(row("c@x.com", cell::null_cell(), cell::of_real(0.5)));
  BOOST_TEST(v.findings().bad_values == 0u);
  BOOST_TEST(v.findings().kinds == std::vector<uint8_t>({kind_text, kind_bytes, kind_number}));
  BOOST_TEST(describe_kinds(kind_text | kind_bytes) == "text or bytes");
  // Bytes and decimals count against max_value_bytes too; keys that are numbers show exactly.
  auto small = value_inspector({"id", "photo", "amount"}, 1, 4);
  small.inspect(unit::encode_row({cell::of_decimal("-12345678901234567890.5"),
                                  cell::of_bytes("12345"), cell::of_decimal("12.5")}));
  BOOST_REQUIRE_EQUAL(small.findings().samples.size(), 2u);
  BOOST_TEST(small.findings().samples[0] ==
             "row id=-12345678901234567890.5, column id: 23 bytes exceed guards.max_value_bytes (4)");
  BOOST_TEST(small.findings().samples[1] ==
             "row id=-12345678901234567890.5, column photo: 5 bytes exceed guards.max_value_bytes (4)");
}

BOOST_AUTO_TEST_CASE(only_the_first_samples_are_kept_but_all_are_counted) {
  auto v = contacts();
  for (int i = 0; i < 25; ++i)
    v.inspect(row("k" + std::to_string(i), cell::of_text("ok"), cell::of_real(std::nan(""))));
  BOOST_TEST(v.findings().bad_values == 25u);
  BOOST_TEST(v.findings().samples.size() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
