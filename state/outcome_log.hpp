// The per-run outcome log write-back consumes: one entry per settled record, kept until copied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/sync_state.hpp"

namespace backflow::state {

/// One record's settlement, as the warehouse's `sync_records` gets it.
struct outcome_entry {
  uint64_t seq = 0;        ///< order of settlement within the sync (the log's key)
  uint64_t run_id = 0;
  std::string key;         ///< canonical key
  std::string operation;   ///< added | changed | deleted
  std::string outcome;     ///< delivered | rejected | skipped | forgotten
  std::string reason;      ///< the destination's reason (rejected), redacted
  std::string dest_id;     ///< the destination's record id, when known
  std::string fields;      ///< the mapped fields sent, as JSON text (exact numbers); "" for deletes
  std::string settled_at;  ///< ISO-8601 UTC with milliseconds

  [[nodiscard]] std::string encode() const;
  /// Decodes a stored entry; nullopt when it is damaged.
  static std::optional<outcome_entry> decode(std::string_view bytes);
};

/// "2026-12-06T13:25:00.123Z", now by the clock of quotas and pauses (tests may move it).
std::string outcome_time_now();

/// Appends the settlement of `records` to the log in `txn`, before settle() applies them (it
/// reads each record's pending change for its fields and operation). Audience retirements are
/// steps, not outcomes, and are left out.
void log_outcomes(transaction& txn, const sync_state& st, const std::vector<settled_record>& records,
                  uint64_t run_id);

/// The oldest `limit` entries of the log, in settlement order.
std::vector<outcome_entry> read_outcomes(const sync_state& st, size_t limit);

/// Entries waiting to be written back.
size_t count_outcomes(const sync_state& st);

/// Removes the entries up to and including `through_seq` (written back).
void drop_outcomes(const sync_state& st, uint64_t through_seq);

/// A synced key and the destination's record id for it ("" when it gave none).
struct synced_id {
  std::string key;  ///< canonical key
  std::string dest_id;
};

/// Up to `limit` keys the destination holds (synced, or left there as orphans), in storage
/// order after storage key `after` ("" from the start); `after` moves past them. Keys whose
/// old identity was retired and whose new one is not delivered yet are left out.
std::vector<synced_id> synced_ids(const sync_state& st, std::string& after, size_t limit);

/// Sets whether `st` logs outcomes in this run (the sync file has `writeback`), and keeps the
/// ids backfill to where it is needed: a sync with nothing synced yet needs none (its log sees
/// every key), one that ran without the log needs one when write-back is turned on again.
void use_outcome_log(sync_state& st, bool on);

/// Whether the keys synced before write-back began were copied to `sync_ids` once.
bool ids_backfilled(const sync_state& st);
void set_ids_backfilled(const sync_state& st);

/// The newest run whose `sync_runs` row was written back (0: none yet).
uint64_t written_back_run(const sync_state& st);
void set_written_back_run(const sync_state& st, uint64_t run_id);

}  // namespace backflow::state
