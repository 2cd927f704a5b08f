// Spans: runs of consecutive model rows cut where their content says, the unit a plan remembers
// as unchanged so the next plan can skip it (docs/RELIABILITY.md, "Unchanged spans").
#pragma once

#include <cstdint>

#include "pipelines/core/hash128.hpp"

namespace backflow {

/// Orders digests (high word first), for sorted lists of spans.
struct hash128_less {
  bool operator()(const hash128& a, const hash128& b) const {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  }
};

/// A span of planned rows (consecutive in a planned_rows), which the diff remembers when every
/// row of it proves unchanged.
struct span_tag {
  hash128 digest;          ///< of the span's model rows, seeded with the plan's span seed
  uint32_t rows = 0;       ///< planned rows of the span (a row without a key is not planned)
  bool recordable = true;  ///< every model row of it was planned, with no bad value
};

/// A span the state remembers as unchanged: its rows were neither keyed, mapped nor looked up.
struct known_span {
  hash128 digest;
  uint32_t rows = 0;  ///< model rows
};

}  // namespace backflow
