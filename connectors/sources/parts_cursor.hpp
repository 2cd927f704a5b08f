// A source cursor over a result in numbered parts, part 0 in hand and the rest fetched ahead.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "connectors/sources/ordered_parts.hpp"
#include "connectors/sources/source.hpp"

namespace backflow {

/// Hands out part 0's rows, then parts 1..count-1 in order from an ordered_parts prefetcher.
/// Snowflake's partitions and Databricks' chunks derive from it; a derived cursor says how a
/// part is fetched (start_parts) and how an unfinished statement is cancelled (stop_parts).
class parts_cursor : public source_cursor {
 public:
  parts_cursor(const parts_cursor&) = delete;
  parts_cursor& operator=(const parts_cursor&) = delete;

  result<size_t> fetch(packed_rows& out, size_t max_rows) final;

 protected:
  parts_cursor(packed_rows first, size_t count);

  /// Starts the prefetcher when there is more than part 0; `make_fetcher` runs once per thread.
  void start_parts(size_t in_flight, const std::function<ordered_parts::fetcher()>& make_fetcher);

  /// True while parts were left unread (the statement may still hold results to cancel).
  [[nodiscard]] bool unfinished() const { return !finished_ && count_ > 1; }

  /// Joins the prefetcher's threads; a derived destructor calls it before cancelling.
  void stop_parts() { parts_.reset(); }

 private:
  status next_part();

  size_t count_;
  packed_rows rows_;  // the part being read
  size_t row_ = 0;
  size_t part_ = 0;
  bool finished_ = false;
  std::optional<ordered_parts> parts_;
  std::string error_;
};

}  // namespace backflow
