// A source cursor over a result in numbered parts (see parts_cursor.hpp).
#include "connectors/sources/parts_cursor.hpp"

#include <algorithm>

namespace backflow {

parts_cursor::parts_cursor(packed_rows first, size_t count)
    : count_(count), rows_(std::move(first)) {}

void parts_cursor::start_parts(size_t in_flight,
                               const std::function<ordered_parts::fetcher()>& make_fetcher) {
  if (count_ > 1)
    parts_.emplace(count_, in_flight, make_fetcher);
}

result<size_t> parts_cursor::fetch(packed_rows& out, size_t max_rows) {
  if (!error_.empty())
    return failure{error_};
  size_t fetched = 0;
  while (fetched < max_rows && !finished_) {
    if (row_ == rows_.size()) {
      if (auto next = next_part(); !next) {
        error_ = next.error().message;
        return failure{error_};
      }
      continue;
    }
    size_t take = std::min(max_rows - fetched, rows_.size() - row_);
    out.append_range(rows_, row_, take);
    row_ += take;
    fetched += take;
  }
  return fetched;
}

status parts_cursor::next_part() {
  rows_.clear();
  row_ = 0;
  if (part_ + 1 >= count_) {
    finished_ = true;
    parts_.reset();
    return {};
  }
  auto rows = parts_->take(++part_);
  if (!rows)
    return rows.error();
  rows_ = std::move(*rows);
  return {};
}

}  // namespace backflow
