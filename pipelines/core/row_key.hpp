// The text of a row's key as the destination sees it: one part as it is, several parts joined.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace backflow {

/// Appends key part `part` (number `index`, 0-based) of a key with `count` parts. A key of one
/// part is the part itself. Parts of a composite key are joined with '|', and a '|' or '\'
/// inside a part is written "\|" or "\\", so ('x|y','z') and ('x','y|z') stay two keys:
/// "x\|y|z" and "x|y\|z".
inline void append_key_part(std::string& out, std::string_view part, size_t index, size_t count) {
  if (count <= 1) {
    out.append(part);
    return;
  }
  if (index > 0)
    out.push_back('|');
  for (char c : part) {
    if (c == '|' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
}

/// The parts of a key written by append_key_part (for display and tests).
inline std::vector<std::string> split_key(std::string_view key, size_t count) {
  if (count <= 1)
    return {std::string(key)};
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '\\' && i + 1 < key.size())
      parts.back().push_back(key[++i]);
    else if (key[i] == '|')
      parts.emplace_back();
    else
      parts.back().push_back(key[i]);
  }
  return parts;
}

}  // namespace backflow
