// Canonical binary encoding of typed rows: what sources emit, the diff hashes and LMDB stores.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace backflow {

/// The type of one encoded cell. The numbering is part of the on-disk format.
enum class cell_type : uint8_t {
  null = 0,
  boolean_false = 1,
  boolean_true = 2,
  integer = 3,    ///< int64, 8 bytes little endian
  real = 4,       ///< IEEE double, 8 bytes little endian
  text = 5,       ///< varint length + UTF-8 bytes
  timestamp = 6,  ///< varint length + ISO-8601 text
  decimal = 7,    ///< varint length + canonical decimal text (see decimal.hpp): exact numbers
  bytes = 8,      ///< varint length + raw bytes (BLOB, bytea)
};

/// A decoded view of one cell; `text` points into the encoded buffer (for text, timestamp,
/// decimal and bytes cells: their payload).
struct cell {
  cell_type type = cell_type::null;
  int64_t integer = 0;
  double real = 0;
  std::string_view text;

  [[nodiscard]] bool is_null() const { return type == cell_type::null; }
  [[nodiscard]] bool is_text_like() const {
    return type == cell_type::text || type == cell_type::timestamp;
  }
  [[nodiscard]] bool boolean() const { return type == cell_type::boolean_true; }

  static cell null_cell() { return {}; }
  static cell of_bool(bool b) {
    cell c;
    c.type = b ? cell_type::boolean_true : cell_type::boolean_false;
    return c;
  }
  static cell of_integer(int64_t v) {
    cell c;
    c.type = cell_type::integer;
    c.integer = v;
    return c;
  }
  static cell of_real(double v) {
    cell c;
    c.type = cell_type::real;
    c.real = v;
    return c;
  }
  static cell of_text(std::string_view v, cell_type t = cell_type::text) {
    cell c;
    c.type = t;
    c.text = v;
    return c;
  }
  /// `v` must be canonical decimal text (normalize_decimal()); writers do not check it.
  static cell of_decimal(std::string_view v) { return of_text(v, cell_type::decimal); }
  static cell of_bytes(std::string_view v) { return of_text(v, cell_type::bytes); }
};

/// Appends cells of one row to a byte string in the canonical encoding.
class row_writer {
 public:
  explicit row_writer(std::string& out) : out_(out) {}

  void null() { out_.push_back(static_cast<char>(cell_type::null)); }
  void boolean(bool v);
  void integer(int64_t v);
  void real(double v);
  void text(std::string_view v) { tagged_text(cell_type::text, v); }
  void timestamp(std::string_view v) { tagged_text(cell_type::timestamp, v); }
  /// Canonical decimal text (normalize_decimal()); the caller guarantees the form.
  void decimal(std::string_view v) { tagged_text(cell_type::decimal, v); }
  void bytes(std::string_view v) { tagged_text(cell_type::bytes, v); }
  void write(const cell& c);

 private:
  void tagged_text(cell_type t, std::string_view v);
  std::string& out_;
};

/// Reads cells of one encoded row in order.
class row_reader {
 public:
  explicit row_reader(std::string_view row) : data_(row) {}

  /// Decodes the next cell into `out`; false at the end or on a malformed row.
  bool next(cell& out);
  [[nodiscard]] bool at_end() const { return pos_ >= data_.size(); }
  /// Bytes consumed so far: the end offset of the last decoded cell.
  [[nodiscard]] size_t position() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

/// Decodes a whole row; cells view into `row`, which must outlive them.
std::vector<cell> decode_row(std::string_view row);

/// Renders a cell as text (for keys, `string` conversions, logs and samples): null as "null",
/// booleans as true/false, integers in decimal, reals as the shortest text that reads back as
/// the same double ("19.99", "1e-07"; NaN as "NaN", infinities as "inf"/"-inf"), decimals as
/// their exact text, bytes as standard base64 (with padding), text and timestamps as they are.
std::string cell_to_string(const cell& c);

/// A double as the shortest text that reads back as the same value (std::to_chars).
std::string shortest_real_text(double v);

/// Many encoded rows (or other byte strings) in one buffer: cheap to build, move and send.
struct packed_rows {
  std::string bytes;
  std::vector<uint32_t> ends;

  [[nodiscard]] size_t size() const { return ends.size(); }
  [[nodiscard]] bool empty() const { return ends.empty(); }
  [[nodiscard]] std::string_view operator[](size_t i) const {
    uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
  /// Marks the end of the row appended to `bytes` since the previous call.
  void finish_row() { ends.push_back(static_cast<uint32_t>(bytes.size())); }
  void push_back(std::string_view row) {
    bytes.append(row);
    finish_row();
  }
  void clear() {
    bytes.clear();
    ends.clear();
  }
  /// Appends rows [first, first + count) of `from` in one copy of their bytes.
  void append_range(const packed_rows& from, size_t first, size_t count) {
    if (count == 0)
      return;
    const uint32_t begin = first == 0 ? 0 : from.ends[first - 1];
    const uint32_t end = from.ends[first + count - 1];
    const auto base = static_cast<uint32_t>(bytes.size());
    bytes.append(from.bytes, begin, end - begin);
    for (size_t i = first; i < first + count; ++i)
      ends.push_back(base + (from.ends[i] - begin));
  }
};

}  // namespace backflow
