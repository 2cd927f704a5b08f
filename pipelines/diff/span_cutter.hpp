// Cuts model rows into spans where their content says and passes on only the spans the state
// does not remember as unchanged, prepared; the others go on as known spans, untouched.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/diff/row_preparer.hpp"
#include "pipelines/diff/span_tag.hpp"

namespace backflow {

/// A span ends after a row whose hash has these low bits all zero (on average every 64th row)
/// or at this many rows. Cut by content, an edited, inserted or deleted row moves only the cuts
/// next to it: the spans around it keep their digests (as content-defined chunking does).
constexpr uint64_t span_cut_mask = 63;
constexpr size_t span_max_rows = 1024;

/// Feeds fetched batches of model rows, in model order, to a row_preparer, span by span.
class span_cutter {
 public:
  /// `seed`: the plan's span seed (everything besides the row's bytes that decides its plan);
  /// `known`: the digests the state remembers, sorted by hash128_less (none: nullptr).
  span_cutter(uint64_t seed, std::shared_ptr<const std::vector<hash128>> known);

  /// Cuts `rows` (continuing the span the previous batch left open) and appends each closed
  /// span to `out`: a known one to out.known, any other prepared, with its span_tag.
  void cut(const packed_rows& rows, row_preparer& preparer, planned_batch& out);
  /// After the last batch: closes the open span.
  void finish(row_preparer& preparer, planned_batch& out);

 private:
  /// Closes the open span: the rows carried from earlier batches, then `count` rows of `rows`
  /// from `first`.
  void close(const packed_rows& rows, size_t first, size_t count, row_preparer& preparer,
             planned_batch& out);

  uint64_t seed_;
  std::shared_ptr<const std::vector<hash128>> known_;
  packed_rows carried_;              ///< rows of the open span from earlier batches
  std::vector<hash128> row_hashes_;  ///< of the open span's rows, in order
};

}  // namespace backflow
