// The high-water mark of incremental reads: the highest cursor value a run read from the
// warehouse, pending until that run's change set is fully committed, then the next run's base.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "state/sync_state.hpp"

namespace backflow::state {

/// What the last committed run read. Values are the warehouse's own (never Backflow's clock),
/// so a clock that differs between the two changes nothing.
struct cursor_mark {
  std::string cursor;       ///< the model column
  std::string read_digest;  ///< of what was read (query, cursor, location): another read starts over
  std::string kind;         ///< "integer" or "timestamp"; "" when no row had a cursor value yet
  std::string value;        ///< the highest cursor value, as the warehouse returned it
  std::string full_read_at; ///< when the last full read started (Backflow's clock, ISO-8601)
  uint64_t run_id = 0;      ///< the run that read it

  [[nodiscard]] std::string to_json_text() const;
  static std::optional<cursor_mark> from_json_text(std::string_view text);
};

/// The committed mark, if any (none before the first incremental run or after a reset).
std::optional<cursor_mark> load_cursor_mark(const sync_state& st);
/// The mark of a run whose change set is not fully committed yet, if any.
std::optional<cursor_mark> load_pending_mark(const sync_state& st);

/// Records what run `mark.run_id` read, as pending: it becomes the mark only when that run's
/// change set is fully committed (promote_pending_mark).
void store_pending_mark(const sync_state& st, const cursor_mark& mark);

/// In the transaction that ends change set `run_id` (sync_state::finish_change_set): its
/// pending mark, if any, becomes the mark. A pending mark of another run is dropped.
void promote_pending_mark(transaction& txn, const sync_state& st, uint64_t run_id);

/// The meta keys the marks live under (sync_state::reset() forgets them).
inline constexpr const char* cursor_mark_key = "cursor_mark";
inline constexpr const char* pending_mark_key = "cursor_mark_pending";

}  // namespace backflow::state
