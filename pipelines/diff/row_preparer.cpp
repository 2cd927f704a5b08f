// Model rows to planned rows (see row_preparer.hpp).
#include "pipelines/diff/row_preparer.hpp"

#include <stdexcept>

namespace backflow {
namespace {

void append_packed(packed_rows& to, const packed_rows& from) {
  auto base = static_cast<uint32_t>(to.bytes.size());
  to.bytes.append(from.bytes);
  to.ends.reserve(to.ends.size() + from.ends.size());
  for (auto end : from.ends)
    to.ends.push_back(base + end);
}

}  // namespace

void append_planned(planned_rows& to, const planned_rows& from) {
  append_packed(to.keys, from.keys);
  append_packed(to.payloads, from.payloads);
  append_packed(to.identities, from.identities);
  to.hashes.insert(to.hashes.end(), from.hashes.begin(), from.hashes.end());
  to.mapping_failed.insert(to.mapping_failed.end(), from.mapping_failed.begin(),
                           from.mapping_failed.end());
  to.spans.insert(to.spans.end(), from.spans.begin(), from.spans.end());
}

row_preparer::row_preparer(row_projection projection, row_planner planner,
                           value_inspector values)
    : projection_(std::move(projection)),
      planner_(std::move(planner)),
      values_(std::move(values)) {}

void row_preparer::prepare(const packed_rows& rows, planned_batch& out) {
  prepare(rows, 0, rows.size(), out);
}

void row_preparer::skip(size_t count) {
  rows_seen_ += count;
  values_.skip(count);
}

void row_preparer::prepare(const packed_rows& rows, size_t first, size_t count,
                           planned_batch& out) {
  for (size_t i = first; i < first + count; ++i) {
    std::string_view row = rows[i];
    ++rows_seen_;
    if (!projection_.identity()) {  // else the row is used as it is, not copied
      projected_.clear();
      if (!projection_.project(row, projected_))
        throw std::runtime_error("malformed row from the source");
      row = projected_;
    }
    values_.inspect(row);
    if (!planner_.plan(row, out.rows))
      out.null_key_rows.push_back(rows_seen_);
  }
}

}  // namespace backflow
