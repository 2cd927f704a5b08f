// The plan's actors: extract streams the model, diff writes the change set.
#pragma once

#include <cstdint>
#include <memory>

#include "actors/messages.hpp"
#include "actors/run_progress.hpp"
#include "connectors/sources/source.hpp"
#include "pipelines/diff/row_identity.hpp"
#include "pipelines/diff/row_planner.hpp"
#include "pipelines/diff/row_preparer.hpp"
#include "pipelines/diff/span_cutter.hpp"
#include "pipelines/mapping/row_mapper.hpp"
#include "state/change_set_builder.hpp"

namespace backflow {

/// What the diff needs to know about the model and the sync.
struct diff_settings {
  std::shared_ptr<state::sync_state> state;
  uint64_t run_id = 0;
  uint64_t fingerprint = 0;  ///< seeds the payload hashes
  size_t key_columns = 0;
  std::vector<size_t> projection;  ///< model columns kept, key columns first
  size_t model_width = 0;
  std::vector<std::string> column_names;  ///< of the projected rows, for value errors
  size_t max_value_bytes = 65536;
  row_mapper mapper;  ///< compiled against the projected columns: the payload of each row
  identity_function identity;  ///< audiences: the identity each payload will have
  state::diff_options options;
  /// Incremental reads with deletes by key scan: the model's key columns, read after the
  /// window's last row, before deletes are planned (state::change_set_builder::mark_present).
  std::shared_ptr<source_cursor> key_scan;
  /// With key_scan: one row, the model's row count; when it proves no synced key is gone
  /// (change_set_builder::holds_every_synced_key), the key scan is skipped.
  std::shared_ptr<source_cursor> model_count;
  /// Set (before the plan_result is sent) when the count made the key scan unnecessary.
  std::shared_ptr<bool> key_scan_skipped;
  /// Whole-model reads: the rows are cut into spans (span_cutter), seeded with `span_seed`, and
  /// those among `known_spans` (the state's, sorted) are not prepared nor looked up.
  bool cut_spans = false;
  uint64_t span_seed = 0;
  std::shared_ptr<const std::vector<hash128>> known_spans;
};

/// What the extract does to each row before the diff sees it: checks, keys, maps it to what the
/// destination would receive, and hashes that (copies what it needs from `settings`).
std::unique_ptr<row_preparer> make_preparer(const diff_settings& settings);

/// The span cutter the extract feeds its batches through, or nullptr when the plan cuts none.
std::unique_ptr<span_cutter> make_span_cutter(const diff_settings& settings);

/// Spawns the extract actor on its own thread (database cursors block). It prepares each batch
/// of `batch_rows` rows for the diff (on its own thread, so both work at once) and sends at
/// most `window` batches ahead of the diff's credit.
extract_actor spawn_extract(caf::actor_system& sys, std::shared_ptr<source_cursor> cursor,
                            std::unique_ptr<row_preparer> preparer,
                            std::unique_ptr<span_cutter> cutter, diff_actor downstream,
                            uint32_t window, size_t batch_rows,
                            std::shared_ptr<run_progress> progress);

/// Spawns the diff actor on its own thread (it writes LMDB): each prepared row is compared with
/// the state. At the end it sends a plan_result to `coordinator` and quits.
diff_actor spawn_diff(caf::actor_system& sys, diff_settings settings, caf::actor coordinator,
                      std::shared_ptr<run_progress> progress);

}  // namespace backflow
