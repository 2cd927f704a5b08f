// A reviewed plan file taken into a sync's state: where the state stood when it was planned,
// and its records written as the change set that apply then sends (backflow apply FILE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/model_profile.hpp"
#include "state/sync_state.hpp"

namespace backflow::state {

/// A fingerprint as 16 hex digits: exact in any JSON reader (numbers past 2^53 are not).
std::string fingerprint_hex(uint64_t v);
/// The fingerprint of fingerprint_hex() text; nullopt when `j` is not one.
std::optional<uint64_t> fingerprint_from_hex(const nlohmann::json& j);

/// What identifies the state a plan was diffed against. Any run (even one that sent nothing)
/// moves the run counter; a reset or a commit moves the counts or the fingerprints.
struct state_position {
  uint64_t last_run_id = 0;  ///< the plan takes last_run_id + 1
  uint64_t keys = 0;
  uint64_t rejects = 0;
  uint64_t orphans = 0;
  uint64_t committed_fingerprint = 0;
  uint64_t applied_config = 0;
  std::string cursor_mark;  ///< the committed incremental mark (JSON text), "" when none

  [[nodiscard]] nlohmann::json to_json() const;
  /// nullopt when `j` is not a position.
  static std::optional<state_position> from_json(const nlohmann::json& j);
  /// What differs from `now`, one phrase each ("2 runs since the plan (last run 7)").
  [[nodiscard]] std::vector<std::string> moved(const state_position& now) const;
};

/// Where `st` stands now.
state_position read_position(const sync_state& st);

/// The plan file last taken into the state: its digest, the run id it took, and whether its
/// records are all in the change set (the import finished).
struct import_marker {
  std::string digest;
  uint64_t run_id = 0;
  bool imported = false;
};
std::optional<import_marker> load_import_marker(const sync_state& st);

/// Starts taking plan `digest` in as run `run_id`: the marker is written, the change set
/// emptied (a crash mid-import starts it over), and the run counter moved to `run_id` if it is
/// still behind.
void begin_import(const sync_state& st, const std::string& digest, uint64_t run_id);

/// One record of the plan file: its canonical key and the encoded change_record.
struct imported_change {
  std::string key;
  std::string record;
};
/// Writes `changes` into the change set in one transaction. Throws std::runtime_error naming
/// the key when one is already there (a plan file lists each key once).
void import_changes(const sync_state& st, const std::vector<imported_change>& changes);

/// Ends the import in one transaction: the plan (now applying), the config it was made with,
/// the model's profile, and the marker saying every record is in.
void finish_import(const sync_state& st, const plan_record& plan, const model_profile& profile,
                   const std::string& digest);

/// A model profile from its JSON (as the plan file carries it); nullopt when malformed.
std::optional<model_profile> profile_from_json(const nlohmann::json& j);
nlohmann::json profile_to_json(const model_profile& p);

}  // namespace backflow::state
