// Value checks over planned rows (see value_inspector.hpp).
#include "pipelines/diff/value_inspector.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "pipelines/core/row_codec.hpp"

namespace backflow {
namespace {

constexpr size_t max_samples = 10;
constexpr size_t shown_key_bytes = 80;

/// A key cell as a reader would want it in an error: text (escaped if not UTF-8) or a number.
std::string show_key_cell(const cell& c) {
  switch (c.type) {
    case cell_type::integer:
    case cell_type::real:
    case cell_type::decimal:
      return cell_to_string(c).substr(0, shown_key_bytes);
    case cell_type::bytes: {
      auto base64 = cell_to_string(c);
      return base64.size() > shown_key_bytes ? base64.substr(0, shown_key_bytes) + "..." : base64;
    }
    case cell_type::text:
    case cell_type::timestamp: {
      std::string out;
      for (unsigned char ch : c.text.substr(0, shown_key_bytes)) {
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
          out += static_cast<char>(ch);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        }
      }
      return "\"" + out + (c.text.size() > shown_key_bytes ? "...\"" : "\"");
    }
    default:
      return "null";
  }
}

uint8_t kind_of(cell_type t) {
  switch (t) {
    case cell_type::integer:
    case cell_type::real:
    case cell_type::decimal:
      return kind_number;
    case cell_type::bytes:
      return kind_bytes;
    case cell_type::text:
      return kind_text;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      return kind_boolean;
    case cell_type::timestamp:
      return kind_timestamp;
    default:
      return 0;
  }
}

}  // namespace

std::string describe_kinds(uint8_t kinds) {
  std::string out;
  for (auto [bit, name] : {std::pair{kind_number, "number"}, std::pair{kind_text, "text"},
                           std::pair{kind_boolean, "boolean"},
                           std::pair{kind_timestamp, "timestamp"}, std::pair{kind_bytes, "bytes"}})
    if (kinds & bit)
      out += (out.empty() ? "" : " or ") + std::string(name);
  return out.empty() ? "null" : out;
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    // Most text is ASCII: skip it eight bytes at a time.
    uint64_t word;
    while (end - p >= 8 && (std::memcpy(&word, p, 8), (word & 0x8080808080808080ull) == 0))
      p += 8;
    if (p == end)
      break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((*p & 0xe0) == 0xc0) {
      n = 1;
      cp = *p & 0x1f;
    } else if ((*p & 0xf0) == 0xe0) {
      n = 2;
      cp = *p & 0x0f;
    } else if ((*p & 0xf8) == 0xf0) {
      n = 3;
      cp = *p & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n)
      return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    p += n + 1;
  }
  return true;
}

value_inspector::value_inspector(std::vector<std::string> columns, size_t key_columns,
                                 size_t max_value_bytes)
    : columns_(std::move(columns)), key_columns_(key_columns), max_value_bytes_(max_value_bytes) {
  found_.kinds.assign(columns_.size(), 0);
}

void value_inspector::inspect(std::string_view row) {
  row_reader reader{row};
  cell c;
  for (size_t i = 0; i < columns_.size() && reader.next(c); ++i) {
    found_.kinds[i] |= kind_of(c.type);
    if (c.type == cell_type::real && !std::isfinite(c.real)) {
      report(row, i, std::isnan(c.real) ? "NaN is not a number a destination accepts"
                                        : "an infinite number is not a value a destination accepts");
    } else if (c.is_text_like() || c.type == cell_type::decimal || c.type == cell_type::bytes) {
      if (c.text.size() > max_value_bytes_)
        report(row, i, std::to_string(c.text.size()) + " bytes exceed guards.max_value_bytes (" +
                           std::to_string(max_value_bytes_) + ")");
      else if (c.is_text_like() && !valid_utf8(c.text))
        report(row, i, "the text is not valid UTF-8");
    }
  }
}

void value_inspector::report(std::string_view row, size_t column, const std::string& problem) {
  if (found_.bad_values++ >= max_samples)
    return;
  std::string key;
  row_reader reader{row};
  cell c;
  for (size_t i = 0; i < key_columns_ && reader.next(c); ++i)
    key += (key.empty() ? "" : ", ") + columns_[i] + "=" + show_key_cell(c);
  found_.samples.push_back("row " + key + ", column " + columns_[column] + ": " + problem);
}

}  // namespace backflow
