// Incremental reads: a cursor column's value (integer or timestamp) read from the warehouse,
// ordered, and the window's lower bound (mark − lookback) as the text bound to the query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipelines/core/row_codec.hpp"

namespace backflow {

enum class cursor_kind : uint8_t {
  integer,    ///< an integer column (a version, epoch seconds)
  timestamp,  ///< a date or timestamp, with or without a UTC offset
};

const char* to_string(cursor_kind k);
std::optional<cursor_kind> cursor_kind_named(const std::string& name);

/// One cursor value as the warehouse returned it, with what orders it.
struct cursor_value {
  cursor_kind kind = cursor_kind::integer;
  /// integer: the value; timestamp: microseconds since 1970-01-01 (UTC when `zoned`, else the
  /// warehouse's wall time, compared as if it were UTC).
  int64_t order = 0;
  bool zoned = false;  ///< the text carried 'Z' or an offset
  std::string text;    ///< as read (for display and storage)

  [[nodiscard]] bool operator<(const cursor_value& other) const { return order < other.order; }
};

/// The cursor value of a cell; nullopt for NULL. A cell that is neither an integer nor a
/// timestamp (nor text in a timestamp form) sets `why` and returns nullopt.
std::optional<cursor_value> cursor_value_of(const cell& c, std::string& why);

/// Reads stored text back ("2026-01-05T10:00:00Z", "12345") as a value of `kind`.
std::optional<cursor_value> parse_cursor_text(cursor_kind kind, const std::string& text);

/// The window's lower bound: `mark` less `lookback_ms` (for integers, the lookback's whole
/// seconds), as text the warehouse parses into the cursor column's type: "12245" or
/// "2026-01-05T09:45:00.000000" (a zoned mark: "...+00:00", in UTC).
std::string window_start(const cursor_value& mark, long long lookback_ms);

}  // namespace backflow
