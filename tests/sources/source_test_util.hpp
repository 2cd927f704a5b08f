// Helpers for the source tests: drain a cursor in fixed-size fetches and decode what it returned.
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "connectors/sources/source.hpp"

namespace backflow::testing {

/// Everything a cursor returned, and how many rows each fetch call appended (the last is 0).
struct drained {
  packed_rows rows;
  std::vector<size_t> per_call;

  /// Cells of row `i`; they view into `rows`, which must stay alive.
  [[nodiscard]] std::vector<cell> row(size_t i) const { return decode_row(rows[i]); }
};

/// Fetches until the cursor reports the end; every call must append at most `max_rows`.
inline drained drain(source_cursor& cursor, size_t max_rows) {
  drained out;
  for (;;) {
    size_t before = out.rows.size();
    auto got = cursor.fetch(out.rows, max_rows);
    BOOST_REQUIRE_MESSAGE(got.ok(), "fetch failed: " + (got.ok() ? "" : got.error().message));
    BOOST_REQUIRE_LE(*got, max_rows);
    BOOST_REQUIRE_EQUAL(out.rows.size() - before, *got);
    out.per_call.push_back(*got);
    if (*got == 0)
      return out;
  }
}

/// Opens `spec` and requires success.
inline std::unique_ptr<source_cursor> open_ok(const source_spec& spec) {
  auto cursor = open_source(spec);
  BOOST_REQUIRE_MESSAGE(cursor.ok(), "open failed: " + (cursor.ok() ? "" : cursor.error().message));
  return std::move(*cursor);
}

/// The failure message of a result that must have failed.
template <class T>
std::string error_of(const result<T>& r) {
  BOOST_REQUIRE_MESSAGE(!r.ok(), "expected a failure");
  return r.error().message;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace backflow::testing
