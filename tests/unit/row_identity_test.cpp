// How the diff identifies rows: canonical keys, row hashes, fingerprints and column projection.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "pipelines/core/row_key.hpp"
#include "pipelines/diff/row_identity.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

/// The canonical key of `row`'s first `n` cells, or "<none>" when it has none.
std::string key_of(const std::string& row, size_t n = 1) {
  std::string out = "stale";
  return canonical_key(row, n, out) ? out : "<none>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canonical_keys)

BOOST_AUTO_TEST_CASE(text_is_trimmed_and_emails_lowercased) {
  BOOST_TEST(key_of(encode_row({txt("  Alice@Example.COM \t")})) == "alice@example.com");
  BOOST_TEST(key_of(encode_row({txt("  ACME-Corp ")})) == "ACME-Corp");  // not an email: case kept
  BOOST_TEST(key_of(encode_row({cell::of_text(" 2024-01-01 ", cell_type::timestamp)})) ==
             "2024-01-01");
}

BOOST_AUTO_TEST_CASE(numbers_are_written_in_decimal) {
  BOOST_TEST(key_of(encode_row({num(42)})) == "42");
  BOOST_TEST(key_of(encode_row({num(-7)})) == "-7");
  BOOST_TEST(key_of(encode_row({real(42.0)})) == "42");  // integral reals match integer keys
  BOOST_TEST(key_of(encode_row({real(-3.0)})) == "-3");
  BOOST_TEST(key_of(encode_row({real(1.5)})) == "1.5");
  BOOST_TEST(key_of(encode_row({cell::of_bool(true)})) == "true");
  // The same record whatever type the warehouse returns it as.
  BOOST_TEST(key_of(encode_row({txt(" 42 ")})) == key_of(encode_row({num(42)})));
}

BOOST_AUTO_TEST_CASE(composite_keys_are_joined_with_bars) {
  auto row = encode_row({txt("EU"), num(7), txt("ignored")});
  BOOST_TEST(key_of(row, 2) == "EU|7");
  BOOST_TEST(key_of(row, 3) == "EU|7|ignored");
  BOOST_TEST(key_of(encode_row({txt("A@B.com"), txt(" x ")}), 2) == "a@b.com|x");
}

BOOST_AUTO_TEST_CASE(separators_inside_parts_are_escaped) {
  // Joined plainly, ('x|y','z') and ('x','y|z') were one key, and so one destination record.
  BOOST_TEST(key_of(encode_row({txt("x|y"), txt("z")}), 2) == "x\\|y|z");
  BOOST_TEST(key_of(encode_row({txt("x"), txt("y|z")}), 2) == "x|y\\|z");
  BOOST_TEST(key_of(encode_row({txt("a\\"), txt("b")}), 2) == "a\\\\|b");
  BOOST_TEST(key_of(encode_row({txt("a"), txt("\\b")}), 2) == "a|\\\\b");
  // A key of one part is the value itself, separators and all.
  BOOST_TEST(key_of(encode_row({txt("x|y\\z")})) == "x|y\\z");
  BOOST_TEST(split_key("x\\|y|z", 2) == std::vector<std::string>({"x|y", "z"}));
}

BOOST_AUTO_TEST_CASE(float_key_parts_are_written_shortest) {
  BOOST_TEST(key_of(encode_row({real(19.99)})) == "19.99");
  BOOST_TEST(key_of(encode_row({real(0.1)})) == "0.1");
  BOOST_TEST(key_of(encode_row({real(1e300)})) == "1e+300");
}

BOOST_AUTO_TEST_CASE(null_empty_or_blank_keys_have_no_key) {
  BOOST_TEST(key_of(encode_row({null()})) == "<none>");
  BOOST_TEST(key_of(encode_row({txt("")})) == "<none>");
  BOOST_TEST(key_of(encode_row({txt(" \t\r\n")})) == "<none>");
  BOOST_TEST(key_of(encode_row({real(std::nan(""))})) == "<none>");
  BOOST_TEST(key_of(encode_row({txt("a"), null()}), 2) == "<none>");  // any null part
  BOOST_TEST(key_of(encode_row({txt("a")}), 2) == "<none>");          // fewer cells than parts
  BOOST_TEST(key_of("\x07", 1) == "<none>");                          // malformed
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(row_hashes)

BOOST_AUTO_TEST_CASE(equal_rows_hash_alike_and_one_cell_changes_it) {
  auto a = encode_row({txt("a@x.com"), num(1), txt("gold")});
  auto same = encode_row({txt("a@x.com"), num(1), txt("gold")});
  auto other = encode_row({txt("a@x.com"), num(1), txt("silver")});
  auto retyped = encode_row({txt("a@x.com"), real(1.0), txt("gold")});
  BOOST_TEST((hash_row(a, 9) == hash_row(same, 9)));
  BOOST_TEST((hash_row(a, 9) != hash_row(other, 9)));
  BOOST_TEST((hash_row(a, 9) != hash_row(retyped, 9)));
  auto h = hash_row(a, 9);
  BOOST_TEST((h.low != 0 || h.high != 0));
}

BOOST_AUTO_TEST_CASE(the_fingerprint_seeds_the_hash) {
  auto a = encode_row({txt("k"), num(1)});
  BOOST_TEST((hash_row(a, 1) != hash_row(a, 2)));
  BOOST_TEST(fingerprint_of("mapping-a") == fingerprint_of("mapping-a"));
  BOOST_TEST(fingerprint_of("mapping-a") != fingerprint_of("mapping-b"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(projection)

BOOST_AUTO_TEST_CASE(keeping_every_column_in_order_is_the_identity) {
  row_projection p({0, 1, 2}, 3);
  BOOST_TEST(p.identity());
  auto row = encode_row({txt("a"), num(2), null()});
  std::string out = "prefix:";
  BOOST_TEST(p.project(row, out));
  BOOST_TEST(out == "prefix:" + row);
  BOOST_TEST(!row_projection({0, 1}, 3).identity());
  BOOST_TEST(!row_projection({1, 0}, 2).identity());
}

BOOST_AUTO_TEST_CASE(reorders_and_selects_columns) {
  auto row = encode_row({txt("id-1"), num(99), txt("x@y.com"), real(0.5)});
  row_projection reorder({2, 0, 3, 1}, 4);
  std::string out;
  BOOST_REQUIRE(reorder.project(row, out));
  BOOST_TEST(out == encode_row({txt("x@y.com"), txt("id-1"), real(0.5), num(99)}));

  row_projection subset({2, 3}, 4);
  std::string sub;
  BOOST_REQUIRE(subset.project(row, sub));
  BOOST_TEST(sub == encode_row({txt("x@y.com"), real(0.5)}));
  // Reusable across rows: the second row's spans replace the first's.
  auto row2 = encode_row({txt("id-2"), num(1), txt("longer-address@example.org"), null()});
  sub.clear();
  BOOST_REQUIRE(subset.project(row2, sub));
  BOOST_TEST(sub == encode_row({txt("longer-address@example.org"), null()}));
}

BOOST_AUTO_TEST_CASE(a_row_with_too_few_cells_is_malformed) {
  row_projection subset({1}, 3);
  std::string out;
  BOOST_TEST(!subset.project(encode_row({txt("a"), num(1)}), out));
}

BOOST_AUTO_TEST_SUITE_END()
