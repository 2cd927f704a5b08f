// Small helpers the unit tests share: encoding rows from cells, searching error lists.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/row_codec.hpp"

namespace backflow::unit {

/// printf '%s' 'alice@example.com' | sha256sum
inline const std::string alice_sha256 =
    "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976";

inline cell txt(std::string_view s) {
  return cell::of_text(s);
}
inline cell num(int64_t v) {
  return cell::of_integer(v);
}
inline cell real(double v) {
  return cell::of_real(v);
}
inline cell null() {
  return cell::null_cell();
}

/// Encodes one row of `cells` in the canonical row encoding.
inline std::string encode_row(std::initializer_list<cell> cells) {
  std::string out;
  row_writer w{out};
  for (const auto& c : cells)
    w.write(c);
  return out;
}

/// True when some item of `items` starts with `prefix`.
inline bool has_prefix(const std::vector<std::string>& items, const std::string& prefix) {
  for (const auto& i : items)
    if (i.rfind(prefix, 0) == 0)
      return true;
  return false;
}

/// True when some item of `items` contains `needle`.
inline bool has_text(const std::vector<std::string>& items, const std::string& needle) {
  for (const auto& i : items)
    if (i.find(needle) != std::string::npos)
      return true;
  return false;
}

/// All items on one line each, for failure messages.
inline std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += "\n  " + i;
  return out;
}

}  // namespace backflow::unit
