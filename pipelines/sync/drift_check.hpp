// `backflow verify`: reads back what the destination holds for synced records and reports
// those that differ from what Backflow last delivered (edited in the tool) or that vanished.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "pipelines/config/sync_config.hpp"
#include "state/state_dir.hpp"

namespace backflow {

struct verify_options {
  size_t sample = 100;  ///< records checked, chosen at random among those eligible
  bool all = false;     ///< check every eligible record instead of a sample
  bool repair = false;  ///< mark the drifted records so that the next run resends them
  const std::atomic<bool>* interrupted = nullptr;  ///< stop between requests when it turns true
};

/// One record whose destination copy is not what Backflow delivered.
struct drifted_record {
  std::string key;
  bool missing = false;  ///< gone from the destination (deleted, archived, merged away)
  /// field → {"sent": what Backflow delivered, "found": what the destination holds}
  nlohmann::json fields = nlohmann::json::object();
};

/// What a drift check found.
struct verify_report {
  enum class outcome { clean, drifted, cannot_read_back, failed, config_error, damaged };
  outcome status = outcome::clean;
  std::string sync;
  std::string destination;
  uint64_t rows_read = 0;
  uint64_t eligible = 0;  ///< rows whose last delivered version is the model's current one
  uint64_t pending = 0;   ///< rows left out: changed in the model, pending, rejected or never sent
  uint64_t checked = 0;   ///< records read back and compared
  uint64_t unchecked = 0; ///< records the destination could not look up (no id kept)
  uint64_t changed = 0;   ///< records with at least one field that differs
  uint64_t missing = 0;   ///< records the destination no longer holds
  uint64_t repaired = 0;  ///< records marked for resend (--repair)
  uint64_t api_calls = 0;
  int64_t duration_ms = 0;
  std::vector<drifted_record> drift;  ///< the first 100 drifted records
  std::string error;

  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] std::string to_text() const;
  /// 0 clean, 1 drift found, 2 configuration, 4 could not finish, 6 damaged state, 7 the
  /// destination cannot read records back.
  [[nodiscard]] int exit_code() const;
};

/// Checks `cfg`'s synced records against the destination: reads the model (as a plan would,
/// recording nothing), keeps the rows whose stored hash equals the model's (what was last
/// delivered is the current row) and that have no pending change or reject, reads a sample (or
/// all) of them back, and compares field by field (read_back.hpp's same_value). With `repair`,
/// the drifted records' hashes are cleared in one LMDB transaction: the next run resends exactly
/// them. Holds the sync's lock: never runs beside a run of the same sync.
verify_report verify_sync(caf::actor_system& sys, rate_limiter_actor limiter,
                          std::shared_ptr<state::state_dir> dir, const sync_config& cfg,
                          const verify_options& opts);

}  // namespace backflow
