// Turns a batch of model rows into planned rows: the diff's work that needs no state, so it runs
// beside the lookups (on the extract's thread) instead of before them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/diff/row_identity.hpp"
#include "pipelines/diff/row_planner.hpp"
#include "pipelines/diff/value_inspector.hpp"

namespace backflow {

/// Planned rows of one batch, the rows of it that had no usable key, and the spans of it the
/// state remembers as unchanged (neither planned nor counted in `rows`).
struct planned_batch {
  planned_rows rows;
  std::vector<uint64_t> null_key_rows;  ///< 1-based row numbers in the model
  std::vector<known_span> known;
};

/// Appends every row of `from` to `to`.
void append_planned(planned_rows& to, const planned_rows& from);

/// Projects, checks, keys, maps and hashes model rows, counting them as it goes.
class row_preparer {
 public:
  row_preparer(row_projection projection, row_planner planner, value_inspector values);

  /// Appends the plan of each row of `rows` to `out`. Throws std::runtime_error on a malformed
  /// row (and whatever the planner throws).
  void prepare(const packed_rows& rows, planned_batch& out);
  /// As prepare(), for rows [first, first + count) of `rows`.
  void prepare(const packed_rows& rows, size_t first, size_t count, planned_batch& out);
  /// Counts `count` model rows that are not prepared (a known span), so later rows keep their
  /// row numbers; their values are not inspected (findings().uninspected_rows).
  void skip(size_t count);

  /// The values found over every row prepared so far.
  [[nodiscard]] const value_findings& findings() const { return values_.findings(); }

 private:
  row_projection projection_;
  row_planner planner_;
  value_inspector values_;
  std::string projected_;
  uint64_t rows_seen_ = 0;
};

}  // namespace backflow
