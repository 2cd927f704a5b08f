// Write-back: copies the runs, record outcomes and destination ids of a sync into a warehouse.
//
//   settle (commit actor) ──► outcome log (LMDB) ─┐
//   finish (runner) ────────► runs (LMDB) ────────┼─► write_back ─► sync_runs, sync_records,
//                                                 │    batches,      sync_ids (warehouse)
//   cursor: last run written; log entries dropped ◄┘    one transaction each
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/warehouse_writer.hpp"
#include "pipelines/config/writeback_config.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// The three tables write-back fills, in every engine's own types.
const wb_table& sync_runs_table();
const wb_table& sync_records_table();
const wb_table& sync_ids_table();

/// What one write-back did; in the run summary as `writeback`.
struct writeback_report {
  bool ok = true;
  uint64_t runs = 0;     ///< sync_runs rows written
  uint64_t records = 0;  ///< sync_records rows written
  uint64_t ids = 0;      ///< sync_ids rows written or deleted
  uint64_t pending = 0;  ///< outcomes still waiting in the state (written by a later run)
  int64_t ms = 0;
  std::string error;

  [[nodiscard]] nlohmann::json to_json() const;
};

/// Writes everything the state holds that the warehouse does not have yet: runs recorded after
/// the write-back cursor and the outcome log, in batches of `cfg.batch_rows`, each one
/// transaction; then prunes rows older than the retention (never those of `current_run`).
/// LMDB stays the source of truth: the cursor moves and the log shrinks only after the warehouse
/// committed, and a repeated batch replaces its rows. Blocking; never throws.
writeback_report write_back(const writeback_config& cfg, const state::sync_state& st,
                            uint64_t current_run);

}  // namespace backflow
