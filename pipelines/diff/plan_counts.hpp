// What a plan counts: how the model's rows compare with what the destination holds.
#pragma once

#include <cstdint>

namespace backflow {

/// The plan's figures, from the diff to the guards, the stored plan record and the run summary.
struct plan_counts {
  uint64_t extracted = 0;  ///< rows read from the model
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t deleted = 0;
  uint64_t unchanged = 0;
  uint64_t unchanged_rejected = 0;  ///< rejected earlier and not changed since: not re-sent
  /// Rejected earlier, not changed since, and planned again anyway (sync_state's
  /// retry_all_rejects); also counted in added, changed or deleted.
  uint64_t resent_rejected = 0;
  /// Rows that differ from what the destination holds, not sent because the mode never
  /// updates (insert): the destination keeps its version, and a later upsert run sends them.
  uint64_t not_updated = 0;
  uint64_t stored_before = 0;  ///< keys synced before this run (the guards' base)

  /// Entries the plan wrote to the change set.
  [[nodiscard]] uint64_t changes() const { return added + changed + deleted; }
};

}  // namespace backflow
