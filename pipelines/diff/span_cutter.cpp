// Content-defined spans of model rows (see span_cutter.hpp).
#include "pipelines/diff/span_cutter.hpp"

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace backflow {

span_cutter::span_cutter(uint64_t seed, std::shared_ptr<const std::vector<hash128>> known)
    : seed_(seed), known_(std::move(known)) {}

void span_cutter::cut(const packed_rows& rows, row_preparer& preparer, planned_batch& out) {
  size_t first = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto row = rows[i];
    auto h = XXH3_128bits_withSeed(row.data(), row.size(), seed_);
    row_hashes_.push_back({h.low64, h.high64});
    if ((h.low64 & span_cut_mask) == 0 || row_hashes_.size() >= span_max_rows) {
      close(rows, first, i + 1 - first, preparer, out);
      first = i + 1;
    }
  }
  carried_.append_range(rows, first, rows.size() - first);
}

void span_cutter::finish(row_preparer& preparer, planned_batch& out) {
  if (!row_hashes_.empty())
    close(carried_, 0, 0, preparer, out);
}

void span_cutter::close(const packed_rows& rows, size_t first, size_t count,
                        row_preparer& preparer, planned_batch& out) {
  // The digest of the span is the hash of its rows' hashes, in order.
  auto d = XXH3_128bits_withSeed(row_hashes_.data(), row_hashes_.size() * sizeof(hash128), seed_);
  hash128 digest{d.low64, d.high64};
  auto span_rows = static_cast<uint32_t>(row_hashes_.size());
  row_hashes_.clear();
  bool carried = !carried_.empty() && &rows != &carried_;
  if (carried)
    carried_.append_range(rows, first, count);
  const packed_rows& from = carried ? carried_ : rows;
  size_t from_first = carried ? 0 : first;
  if (known_ && std::binary_search(known_->begin(), known_->end(), digest, hash128_less{})) {
    preparer.skip(span_rows);
    out.known.push_back({digest, span_rows});
  } else {
    auto planned_before = out.rows.size();
    auto nulls_before = out.null_key_rows.size();
    auto bad_before = preparer.findings().bad_values;
    preparer.prepare(from, from_first, span_rows, out);
    bool clean = out.null_key_rows.size() == nulls_before &&
                 preparer.findings().bad_values == bad_before;
    out.rows.spans.push_back(
        {digest, static_cast<uint32_t>(out.rows.size() - planned_before), clean});
  }
  carried_.clear();
}

}  // namespace backflow
