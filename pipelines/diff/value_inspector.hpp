// Reads each planned row's values once: finds those no destination should get, notes column kinds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace backflow {

/// The kinds of value a column held (a bit set), to catch a column that changed type. The bits
/// are stored with each model profile: never renumber them.
enum value_kind : uint8_t {
  kind_number = 1,  ///< integer, real and decimal cells alike: a numeric column may hold all three
  kind_text = 2,
  kind_boolean = 4,
  kind_timestamp = 8,
  kind_bytes = 16,
};

/// "number", "text", "number or text", ...
std::string describe_kinds(uint8_t kinds);

/// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);

/// What the inspector found over a whole plan.
struct value_findings {
  uint64_t bad_values = 0;
  std::vector<std::string> samples;  ///< the first few, each naming the row's key and the column
  std::vector<uint8_t> kinds;        ///< per column: the kinds of non-null value seen
  /// Rows not inspected (spans the state remembers as unchanged, inspected when they were
  /// first planned): `kinds` may lack what only they hold.
  uint64_t uninspected_rows = 0;
};

/// Checks encoded rows whose first `key_columns` cells are the key: invalid UTF-8, text, decimals
/// or bytes longer than `max_value_bytes`, NaN or infinite numbers (a PostgreSQL numeric 'NaN'
/// arrives as a real NaN). Every such value is counted; a few are kept.
class value_inspector {
 public:
  value_inspector(std::vector<std::string> columns, size_t key_columns, size_t max_value_bytes);

  /// Inspects one encoded row (see row_codec.hpp).
  void inspect(std::string_view row);
  /// Counts `count` rows that are not inspected.
  void skip(size_t count) { found_.uninspected_rows += count; }

  [[nodiscard]] const value_findings& findings() const { return found_; }

 private:
  void report(std::string_view row, size_t column, const std::string& problem);

  std::vector<std::string> columns_;
  size_t key_columns_;
  size_t max_value_bytes_;
  value_findings found_;
};

}  // namespace backflow
