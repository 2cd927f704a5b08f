// Canonical binary encoding of typed rows (see row_codec.hpp).
#include "pipelines/core/row_codec.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    auto byte = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0)
      return true;
  }
  return false;
}

void put_u64(std::string& out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(buf, 8);
}

uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

void row_writer::boolean(bool v) {
  out_.push_back(static_cast<char>(v ? cell_type::boolean_true : cell_type::boolean_false));
}

void row_writer::integer(int64_t v) {
  out_.push_back(static_cast<char>(cell_type::integer));
  put_u64(out_, static_cast<uint64_t>(v));
}

void row_writer::real(double v) {
  // One canonical zero, so -0.0 and 0.0 hash alike.
  if (v == 0.0)
    v = 0.0;
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  out_.push_back(static_cast<char>(cell_type::real));
  put_u64(out_, bits);
}

void row_writer::tagged_text(cell_type t, std::string_view v) {
  out_.push_back(static_cast<char>(t));
  put_varint(out_, v.size());
  out_.append(v.data(), v.size());
}

void row_writer::write(const cell& c) {
  switch (c.type) {
    case cell_type::null:
      null();
      break;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      boolean(c.boolean());
      break;
    case cell_type::integer:
      integer(c.integer);
      break;
    case cell_type::real:
      real(c.real);
      break;
    case cell_type::text:
    case cell_type::timestamp:
    case cell_type::decimal:
    case cell_type::bytes:
      tagged_text(c.type, c.text);
      break;
  }
}

bool row_reader::next(cell& out) {
  if (pos_ >= data_.size())
    return false;
  auto tag = static_cast<cell_type>(data_[pos_++]);
  out = cell{};
  out.type = tag;
  switch (tag) {
    case cell_type::null:
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      return true;
    case cell_type::integer:
    case cell_type::real: {
      if (data_.size() - pos_ < 8)
        return false;
      uint64_t bits = get_u64(data_.data() + pos_);
      pos_ += 8;
      if (tag == cell_type::integer)
        out.integer = static_cast<int64_t>(bits);
      else
        std::memcpy(&out.real, &bits, sizeof bits);
      return true;
    }
    case cell_type::text:
    case cell_type::timestamp:
    case cell_type::decimal:
    case cell_type::bytes: {
      uint64_t len;
      if (!get_varint(data_, pos_, len) || data_.size() - pos_ < len)
        return false;
      out.text = data_.substr(pos_, len);
      pos_ += len;
      return true;
    }
  }
  return false;
}

std::vector<cell> decode_row(std::string_view row) {
  std::vector<cell> cells;
  row_reader reader{row};
  cell c;
  while (reader.next(c))
    cells.push_back(c);
  return cells;
}

std::string cell_to_string(const cell& c) {
  switch (c.type) {
    case cell_type::null:
      return "null";
    case cell_type::boolean_false:
      return "false";
    case cell_type::boolean_true:
      return "true";
    case cell_type::integer:
      return std::to_string(c.integer);
    case cell_type::real:
      return shortest_real_text(c.real);
    case cell_type::text:
    case cell_type::timestamp:
    case cell_type::decimal:
      return std::string(c.text);
    case cell_type::bytes:
      return base64_encode(c.text);
  }
  return {};
}

std::string shortest_real_text(double v) {
  if (std::isnan(v))
    return "NaN";
  char buf[32];  // the longest shortest form, "-2.2250738585072014e-308", takes 24
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

}  // namespace backflow
