// Reviewable plans: `plan --out FILE` writes the change set with what it was diffed against;
// `apply FILE` checks that nothing moved since and takes exactly its records in as the change
// set the apply phase sends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/diff/plan_counts.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/plan_file.hpp"
#include "pipelines/sync/run_summary.hpp"
#include "state/cursor_mark.hpp"
#include "state/plan_import.hpp"

namespace backflow {

/// What a plan file carries besides the change set.
struct plan_context {
  uint64_t run_id = 0;  ///< the run id the plan takes when applied
  state::state_position position;
  state::model_profile profile;  ///< what the next run's guards compare with
  std::optional<state::cursor_mark> mark;  ///< incremental reads: the mark it leaves pending
  plan_counts counts;
  std::string state_dir;
};

/// Writes the header, then every change of `st`'s change set in key order, as apply would send
/// it, then the trailer. Fails, leaving no file, when a record holds one of the sync file's
/// secrets (a plan file never does).
status write_plan_file(plan_file_writer& out, const sync_config& cfg,
                       const state::sync_state& st, const model_shape& shape,
                       const plan_context& context);

/// A plan file found intact and made from this sync file.
struct reviewed_plan {
  const plan_file_reader* file = nullptr;
  std::string digest;  ///< the file's SHA-256 (its trailer)
  uint64_t run_id = 0;
  model_shape shape;
  plan_counts counts;
  state::state_position position;
  state::model_profile profile;
  std::optional<state::cursor_mark> mark;
};

/// Why a plan file is not applied: the status (aborted: it no longer holds; config_error: it
/// is not a plan this backflow reads) and what moved.
struct plan_refusal {
  run_status status = run_status::aborted;
  std::string reason;
};

/// Checks `file` against `cfg` before any state is touched: intact (its digest), for this sync,
/// made from the same sync file (mapping, mode, key, destination, source, every part) and the
/// same model shape.
std::variant<reviewed_plan, plan_refusal> check_plan_file(const plan_file_reader& file,
                                                          const sync_config& cfg);

/// What to do with a checked plan in the sync's state.
struct admission {
  enum class action { import, resume, refuse } what = action::refuse;
  std::string reason;  ///< when refused: what moved
};
/// Import when the state is where the plan left it; resume when this plan's apply was
/// interrupted (its change set is pending); refuse when anything else moved.
admission admit_plan(const reviewed_plan& plan, const state::sync_state& st);

/// Takes the plan's records in as the change set of run `plan.run_id` (now applying). Each
/// record line is checked against its encoded change: what was reviewed is what is sent.
status import_plan(const reviewed_plan& plan, const sync_config& cfg,
                   const state::sync_state& st);

}  // namespace backflow
