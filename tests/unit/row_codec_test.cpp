// The canonical row encoding: exact bytes, round trips of every type, malformed rows, packed_rows.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "pipelines/core/row_codec.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values)
    out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(row_codec)

BOOST_AUTO_TEST_CASE(encodes_each_type_with_its_tag_and_layout) {
  BOOST_TEST(encode_row({null()}) == bytes({0}));
  BOOST_TEST(encode_row({cell::of_bool(false), cell::of_bool(true)}) == bytes({1, 2}));
  BOOST_TEST(encode_row({num(1)}) == bytes({3, 1, 0, 0, 0, 0, 0, 0, 0}));
  BOOST_TEST(encode_row({num(-2)}) == bytes({3, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  BOOST_TEST(encode_row({real(1.0)}) == bytes({4, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  BOOST_TEST(encode_row({txt("ab")}) == bytes({5, 2, 'a', 'b'}));
  BOOST_TEST(encode_row({cell::of_text("x", cell_type::timestamp)}) == bytes({6, 1, 'x'}));
  BOOST_TEST(encode_row({txt("")}) == bytes({5, 0}));
}

BOOST_AUTO_TEST_CASE(every_cell_type_round_trips) {
  const std::string long_text(200, 'z');
  auto row = encode_row({null(), cell::of_bool(false), cell::of_bool(true), num(-42),
                         num(std::numeric_limits<int64_t>::min()),
                         num(std::numeric_limits<int64_t>::max()), real(-3.25), real(1e300),
                         txt(""), txt("héllo"), txt(long_text),
                         cell::of_text("2024-01-02T03:04:05Z", cell_type::timestamp)});
  auto cells = decode_row(row);
  BOOST_REQUIRE_EQUAL(cells.size(), 12u);
  BOOST_TEST(cells[0].is_null());
  BOOST_TEST((cells[1].type == cell_type::boolean_false));
  BOOST_TEST(!cells[1].boolean());
  BOOST_TEST(cells[2].boolean());
  BOOST_TEST(cells[3].integer == -42);
  BOOST_TEST(cells[4].integer == std::numeric_limits<int64_t>::min());
  BOOST_TEST(cells[5].integer == std::numeric_limits<int64_t>::max());
  BOOST_TEST(cells[6].real == -3.25);
  BOOST_TEST(cells[7].real == 1e300);
  BOOST_TEST((cells[8].type == cell_type::text));
  BOOST_TEST(cells[8].text.empty());
  BOOST_TEST(cells[9].text == "héllo");
  BOOST_TEST(cells[10].text == long_text);
  BOOST_TEST((cells[11].type == cell_type::timestamp));
  BOOST_TEST(cells[11].text == "2024-01-02T03:04:05Z");
  BOOST_TEST(cells[11].is_text_like());
}

BOOST_AUTO_TEST_CASE(text_longer_than_127_bytes_uses_a_two_byte_varint) {
  const std::string text(200, 'q');  // 200 = 0xc8: low 7 bits 0x48 | 0x80, then 0x01
  auto row = encode_row({txt(text)});
  BOOST_REQUIRE_EQUAL(row.size(), 1u + 2u + 200u);
  BOOST_TEST(static_cast<uint8_t>(row[1]) == 0xc8);
  BOOST_TEST(static_cast<uint8_t>(row[2]) == 0x01);
  const std::string exactly_127(127, 'a');
  BOOST_TEST(encode_row({txt(exactly_127)}).size() == 1u + 1u + 127u);
  const std::string big(70000, 'b');  // three varint bytes
  auto big_row = encode_row({txt(big), num(7)});
  BOOST_TEST(big_row.size() == 1u + 3u + 70000u + 9u);
  auto cells = decode_row(big_row);
  BOOST_REQUIRE_EQUAL(cells.size(), 2u);
  BOOST_TEST(cells[0].text.size() == 70000u);
  BOOST_TEST(cells[1].integer == 7);
}

BOOST_AUTO_TEST_CASE(negative_zero_is_canonicalised) {
  BOOST_TEST(encode_row({real(-0.0)}) == encode_row({real(0.0)}));
  auto cells = decode_row(encode_row({real(-0.0)}));
  BOOST_REQUIRE_EQUAL(cells.size(), 1u);
  BOOST_TEST(!std::signbit(cells[0].real));
  BOOST_TEST(encode_row({real(-1.0)}) != encode_row({real(1.0)}));
}

BOOST_AUTO_TEST_CASE(reader_tracks_positions_and_end) {
  auto row = encode_row({num(5), txt("abc"), null()});
  row_reader r{row};
  cell c;
  BOOST_TEST(!r.at_end());
  BOOST_REQUIRE(r.next(c));
  BOOST_TEST(r.position() == 9u);
  BOOST_REQUIRE(r.next(c));
  BOOST_TEST(r.position() == 9u + 5u);
  BOOST_REQUIRE(r.next(c));
  BOOST_TEST(r.at_end());
  BOOST_TEST(!r.next(c));
  BOOST_TEST(decode_row("").empty());
}

BOOST_AUTO_TEST_CASE(malformed_rows_are_rejected) {
  cell c;
  // Unknown tag.
  const std::string unknown_bytes = bytes({9});  // readers only view their bytes
  row_reader unknown{unknown_bytes};
  BOOST_TEST(!unknown.next(c));
  // Integer and real with fewer than 8 payload bytes.
  const std::string short_int_bytes = bytes({3, 1, 2, 3, 4});
  row_reader short_int{short_int_bytes};
  BOOST_TEST(!short_int.next(c));
  const std::string short_real_bytes = bytes({4, 0, 0});
  row_reader short_real{short_real_bytes};
  BOOST_TEST(!short_real.next(c));
  // Text whose length runs past the end.
  const std::string short_text_bytes = bytes({5, 10, 'a', 'b', 'c'});
  row_reader short_text{short_text_bytes};
  BOOST_TEST(!short_text.next(c));
  // A varint that never terminates, and one too long for 64 bits.
  const std::string open_varint_bytes = bytes({5, 0x80});
  row_reader open_varint{open_varint_bytes};
  BOOST_TEST(!open_varint.next(c));
  const std::string huge_varint_bytes = bytes({5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  row_reader huge_varint{huge_varint_bytes};
  BOOST_TEST(!huge_varint.next(c));
  // A huge declared length must not overflow the bounds check.
  const std::string huge_len_bytes = bytes({5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'a'});
  row_reader huge_len{huge_len_bytes};
  BOOST_TEST(!huge_len.next(c));
}

BOOST_AUTO_TEST_CASE(decode_row_stops_at_the_first_bad_cell) {
  auto row = encode_row({num(1), txt("ok")});
  row += bytes({5, 9, 'x'});  // truncated third cell
  auto cells = decode_row(row);
  BOOST_REQUIRE_EQUAL(cells.size(), 2u);
  BOOST_TEST(cells[1].text == "ok");
}

BOOST_AUTO_TEST_CASE(cell_to_string_renders_display_text) {
  BOOST_TEST(cell_to_string(null()) == "null");
  BOOST_TEST(cell_to_string(cell::of_bool(true)) == "true");
  BOOST_TEST(cell_to_string(cell::of_bool(false)) == "false");
  BOOST_TEST(cell_to_string(num(-17)) == "-17");
  BOOST_TEST(cell_to_string(real(2.5)) == "2.5");
  BOOST_TEST(cell_to_string(real(0.1)) == "0.1");  // shortest round trip, not %.17g
  BOOST_TEST(cell_to_string(real(std::nan(""))) == "NaN");
  BOOST_TEST(cell_to_string(txt("a b")) == "a b");
}

BOOST_AUTO_TEST_CASE(packed_rows_index_their_rows) {
  packed_rows p;
  BOOST_TEST(p.empty());
  p.push_back(encode_row({num(1)}));
  p.push_back("");  // an empty row is still a row
  row_writer w{p.bytes};
  w.text("third");
  w.null();
  p.finish_row();
  BOOST_REQUIRE_EQUAL(p.size(), 3u);
  BOOST_TEST(p[0] == encode_row({num(1)}));
  BOOST_TEST(p[1].empty());
  BOOST_TEST(p[2] == encode_row({txt("third"), null()}));
  BOOST_TEST(p.ends == std::vector<uint32_t>({9u, 9u, 9u + 7u + 1u}));
  p.clear();
  BOOST_TEST(p.empty());
  BOOST_TEST(p.bytes.empty());
}

BOOST_AUTO_TEST_SUITE_END()
