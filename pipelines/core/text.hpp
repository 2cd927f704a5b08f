// Small ASCII text helpers shared by keys, transforms and connectors.
#pragma once

#include <string>
#include <string_view>

namespace backflow {

/// `s` without leading and trailing whitespace.
inline std::string_view trim_view(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

/// Appends `s` to `out` with A-Z lowercased (locale-independent; other bytes, UTF-8 included,
/// unchanged).
inline void append_ascii_lower(std::string& out, std::string_view s) {
  for (char c : s)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

inline std::string ascii_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_ascii_lower(out, s);
  return out;
}

}  // namespace backflow
