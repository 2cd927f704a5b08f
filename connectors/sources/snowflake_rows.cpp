// Decodes Snowflake result partitions into canonical rows (see snowflake_rows.hpp).
#include "connectors/sources/snowflake_rows.hpp"

#include <string>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

/// A cursor over the body; every read is bounds-checked.
class scanner {
 public:
  explicit scanner(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat_null() {
    skip_space();
    if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return true;
    }
    return false;
  }
  /// Reads a JSON string into `out` (escapes decoded); false when malformed.
  bool string(std::string& out) {
    out.clear();
    if (!eat('"'))
      return false;
    for (;;) {
      size_t stop = text_.find_first_of("\"\\", pos_);
      if (stop == std::string_view::npos)
        return false;
      out.append(text_.data() + pos_, stop - pos_);
      pos_ = stop + 1;
      if (text_[stop] == '"')
        return true;
      if (pos_ >= text_.size() || !escape(out))
        return false;
    }
  }
  [[nodiscard]] size_t position() const { return pos_; }
  /// Moves past `"key":`; false when the key is not in the rest of the text.
  bool find_key(std::string_view key) {
    std::string quoted = "\"" + std::string(key) + "\"";
    size_t at = text_.find(quoted, pos_);
    if (at == std::string_view::npos)
      return false;
    pos_ = at + quoted.size();
    return eat(':');
  }

 private:
  bool hex4(unsigned& value) {
    if (pos_ + 4 > text_.size())
      return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit_value(text_[pos_++]);
      if (d < 0)
        return false;
      value = value * 16 + static_cast<unsigned>(d);
    }
    return true;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool escape(std::string& out) {
    char c = text_[pos_++];
    switch (c) {
      case '"': case '\\': case '/': out.push_back(c); return true;
      case 'b': out.push_back('\b'); return true;
      case 'f': out.push_back('\f'); return true;
      case 'n': out.push_back('\n'); return true;
      case 'r': out.push_back('\r'); return true;
      case 't': out.push_back('\t'); return true;
      case 'u': {
        unsigned cp = 0;
        if (!hex4(cp))
          return false;
        if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
          unsigned low = 0;
          if (text_.substr(pos_, 2) != "\\u" || (pos_ += 2, !hex4(low)) || low < 0xDC00 ||
              low > 0xDFFF)
            return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        utf8(out, cp);
        return true;
      }
      default:
        return false;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

failure malformed(size_t row, size_t at, const char* what) {
  return failure{"source: Snowflake SQL API: a partition's row " + std::to_string(row) + " (byte " +
                 std::to_string(at) + ") " + what};
}

}  // namespace

result<packed_rows> decode_sf_partition(std::string_view body, const std::vector<text_cell>& cells) {
  scanner in(body);
  packed_rows rows;
  if (!in.find_key("data") || !in.eat('['))
    return failure{"source: Snowflake SQL API: a partition has no data array"};
  std::string value;
  std::string scratch;
  if (in.eat(']'))
    return rows;
  do {
    const size_t row = rows.size();
    if (!in.eat('['))
      return malformed(row, in.position(), "is not an array");
    row_writer writer(rows.bytes);
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0 && !in.eat(','))
        return malformed(row, in.position(), "has fewer values than columns");
      if (in.eat_null())
        writer.null();
      else if (in.string(value))
        write_sf_value(writer, cells[c], value, scratch);
      else
        return malformed(row, in.position(), "has a value that is neither a string nor null");
    }
    if (!in.eat(']'))
      return malformed(row, in.position(), "has more values than columns");
    rows.finish_row();
  } while (in.eat(','));
  if (!in.eat(']'))
    return malformed(rows.size(), in.position(), "does not end the data array");
  return rows;
}

result<packed_rows> encode_sf_rows(const nlohmann::json& data, const std::vector<text_cell>& cells) {
  packed_rows rows;
  std::string scratch;
  for (const auto& row : data) {
    if (!row.is_array() || row.size() != cells.size())
      return malformed(rows.size(), 0, "does not have one value per column");
    row_writer writer(rows.bytes);
    for (size_t c = 0; c < cells.size(); ++c) {
      const auto& value = row[c];
      if (value.is_string())
        write_sf_value(writer, cells[c], value.get_ref<const std::string&>(), scratch);
      else if (value.is_null())
        writer.null();
      else
        return malformed(rows.size(), 0, "has a value that is neither a string nor null");
    }
    rows.finish_row();
  }
  return rows;
}

}  // namespace backflow
