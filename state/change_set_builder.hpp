// The diff: compares what the destination would receive for each model row with what it holds,
// and writes the run's change set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/diff/plan_counts.hpp"
#include "pipelines/diff/row_planner.hpp"
#include "state/sync_state.hpp"

namespace backflow::state {

/// What the diff found (the plan's counts), and the bad keys it saw (a bad model aborts the run).
struct diff_tally : plan_counts {
  uint64_t key_scanned = 0;  ///< incremental reads: rows of the key-only scan (mark_present)
  uint64_t null_keys = 0;
  std::vector<uint64_t> null_key_rows;  ///< 1-based row numbers, up to 10
  uint64_t duplicate_keys = 0;
  std::vector<std::string> duplicate_samples;  ///< up to 10

  /// Keys of the first few changes of each kind, for `plan` samples.
  std::vector<std::string> added_samples;
  std::vector<std::string> changed_samples;
  std::vector<std::string> deleted_samples;

  [[nodiscard]] bool bad_model() const { return null_keys > 0 || duplicate_keys > 0; }
};

/// How the sync's mode treats the rows that differ or left.
struct diff_options {
  /// Rows that differ from the destination's version are planned (false for insert mode).
  bool plan_changes = true;
  /// Records of rows that left the model are removed (mirror, audience): also those an earlier
  /// mode left behind (orphans).
  bool removes_orphans = false;
  /// Destination ids are identities rows may share (audiences): a member is removed only when
  /// no row of the model holds its identity after this run.
  bool track_identities = false;
  size_t samples_per_kind = 5;
  /// Synced keys the model did not return become deletes (false: an incremental read without a
  /// key scan, which cannot tell a deleted row from one that did not move).
  bool plan_deletes = true;
};

/// Streams planned rows through the diff: lookups in read transactions, changes written in
/// sorted groups of up to 16k rows.
/// Deletes are found without memory proportional to the rows' size: each synced key owns a
/// dense slot number, and the rows seen set one bit per slot (1.25 MB for 10M keys).
class change_set_builder {
 public:
  /// Starts a plan: empties the change set and marks the sync as planning.
  change_set_builder(const sync_state& st, uint64_t run_id, uint64_t fingerprint,
                     diff_options options = {});

  /// Counts a model row without a usable key (null or empty).
  void null_key();
  /// Counts a model row without a usable key, naming its 1-based row number in the model (for
  /// rows planned elsewhere, counted before the diff saw them).
  void null_key(uint64_t row);

  /// Diffs a batch of planned rows. Spans of it whose rows all prove unchanged (and are synced,
  /// no orphans, free of rejects) are remembered for the next plan (span_memo.hpp).
  void add(const planned_rows& rows);

  /// Marks the keys of spans the state remembers as seen and unchanged, without looking a row
  /// up: their rows are the ones whose hashes the state holds.
  void add_known(const std::vector<known_span>& spans);

  /// Incremental reads' key scan, after the last batch of the window: marks these canonical keys
  /// as still in the model (no hash compared, nothing planned), so finish() does not delete them.
  void mark_present(const packed_rows& keys);

  /// Incremental reads, after the window's last batch: whether a model of `model_rows` rows
  /// provably still holds every synced key, so the key scan can be skipped. True only when the
  /// counts add up exactly (every row is a key of the window or a synced key outside it) and
  /// nothing else could account for a row: no rejects, orphans, null or duplicate keys. A row
  /// committed behind the lookback is the one thing the counts cannot tell from a kept key.
  /// When true, the model's rows are counted as scanned (tally().key_scanned) and finish()
  /// plans no delete.
  [[nodiscard]] bool holds_every_synced_key(uint64_t model_rows);

  /// After the last batch: every synced key the model no longer returned becomes a delete, and
  /// only the spans this plan used or recorded stay remembered.
  void finish();

  [[nodiscard]] const diff_tally& tally() const { return tally_; }

 private:
  /// The cursors of one batch's lookups.
  struct lookups {
    lookup_cursor keys;
    lookup_cursor rejects;
  };
  /// Sets `clean_slot` to the key's slot when the row is unchanged, synced, no orphan and free
  /// of rejects (what a remembered span's rows must be).
  void classify(transaction& txn, lookups& cursors, const std::string& key, const hash128& hash,
                std::string_view payload, bool mapping_failed, std::string_view identity,
                uint64_t& clean_slot);
  /// Queues the spans of `rows` whose rows all came out clean (classify) to be remembered.
  void record_spans(const planned_rows& rows);
  /// The canonical key holding `slot`, for naming a duplicate found in a known span.
  std::string key_in_slot(transaction& txn, uint64_t slot) const;
  /// Marks the removals of identities the model still holds after this run (keep_identity).
  void keep_held_identities(transaction& txn);
  void flush();
  void note_duplicate(const std::string& key);
  bool mark_seen(uint64_t slot);
  /// Slots marked seen so far.
  [[nodiscard]] uint64_t seen_count() const;
  void drop_stale_rejects(transaction& txn);
  void plan_delete(transaction& txn, std::string_view storage_key, const key_record& stored,
                   bool refused_delete);

  const sync_state& st_;
  uint64_t fingerprint_;
  diff_options options_;
  std::vector<uint64_t> seen_;
  uint64_t slot_limit_ = 0;  ///< no sound record has a slot at or past this
  std::unordered_set<std::string> seen_unsynced_;  ///< keys neither synced nor in the change set
  diff_tally tally_;
  bool has_rejects_ = false;  ///< skip reject lookups entirely when there are none
  bool has_orphans_ = false;  ///< records an earlier mode left at the destination
  bool retry_rejects_ = false;  ///< re-plan rejected records even when unchanged
  /// A change waiting to be written with the next group.
  struct pending_change {
    std::string key;          ///< canonical
    std::string storage_key;
    std::string value;  ///< encoded change_record
    bool synced = false;
    bool duplicate = false;
    bool resent_reject = false;  ///< rejected and unchanged: planned only because of retry
  };
  std::vector<pending_change> pending_;
  size_t pending_bytes_ = 0;
  std::unordered_set<std::string> pending_keys_;  ///< (only when there are rejects)
  /// Rejects with nothing left to retry: refused deletes whose row is back, and rejected
  /// changes whose row is back to the version the destination has.
  std::vector<std::string> stale_rejects_;
  /// Orphans whose row is back in the model (storage keys): no longer orphans.
  std::vector<std::string> revived_;
  /// Audiences: per identity digest, the holders this run takes away (deleted rows, identities
  /// that moved) and brings (added rows, moved identities' new values).
  std::unordered_map<std::string, int64_t> leaving_;
  std::unordered_map<std::string, int64_t> arriving_;
  std::string storage_key_;
  struct sort_entry {
    uint64_t head;  ///< the key's bytes 0-7, big-endian
    uint64_t next;  ///< bytes 8-15
    uint32_t row;
  };
  std::vector<sort_entry> order_;  ///< a batch's rows in key order
  /// classify()'s mark for a row that is not clean.
  static constexpr uint64_t no_slot = ~uint64_t{0};
  /// Bad keys named per kind (null, duplicate).
  static constexpr size_t max_bad_key_samples = 10;
  /// Per row of the group being added: its slot when classify found it clean, else no_slot.
  std::vector<uint64_t> clean_slots_;
  /// Spans to remember with the next write, and their encoded size.
  std::vector<std::pair<hash128, std::vector<uint64_t>>> pending_spans_;
  size_t pending_span_bytes_ = 0;
  /// Spans this plan used (known) or recorded: the ones kept at finish().
  std::vector<hash128> used_spans_;
};

}  // namespace backflow::state
