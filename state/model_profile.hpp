// What the model looked like when its last plan was accepted: row count, columns and their kinds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "state/sync_state.hpp"

namespace backflow::state {

/// The guards compare a new plan with this: rows lost, columns that vanished or changed type.
struct model_profile {
  struct column {
    std::string name;
    uint8_t kinds = 0;  ///< value_kind bits seen (0: only nulls)
  };
  uint64_t run_id = 0;  ///< the run whose plan it describes
  uint64_t rows = 0;
  std::vector<column> columns;  ///< the sync's kept columns (keys first)

  [[nodiscard]] const column* find(const std::string& name) const;
};

/// The profile stored by the last accepted plan, if any (none before a first run or a reset).
std::optional<model_profile> load_model_profile(const sync_state& st);

/// Stores the profile of a plan the guards accepted, in an open write transaction.
void store_model_profile(transaction& txn, const sync_state& st, const model_profile& profile);

/// Before apply, in one transaction: the plan (now applying), the config fingerprint it was
/// made with, and the model's profile (what the next run's guards compare with).
void start_apply(const sync_state& st, const plan_record& plan, const model_profile& profile);

/// The meta key the profile lives under (sync_state::reset() forgets it).
inline constexpr const char* model_profile_key = "model_profile";

}  // namespace backflow::state
