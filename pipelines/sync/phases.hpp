// The two phases of a run, each wiring its actors and waiting for them: plan, then apply.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/run_progress.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/sync/incremental_read.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/run_summary.hpp"
#include "state/model_profile.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow {

struct plan_phase_result {
  bool ok = false;
  model_shape shape;
  state::diff_tally tally;
  value_findings values;  ///< column kinds and bad values, for the guards and the next run's
  run_status failure = run_status::incomplete;  ///< when !ok
  bool damaged = false;  ///< when !ok: the state directory is damaged
  std::string error;
  std::vector<std::string> problems;
  /// Incremental syncs: what this run read, and the mark it leaves pending (set once read).
  std::optional<read_window> window;
  std::optional<state::cursor_mark> mark;
};

/// The tally as the row-count guards and the model profile see it: on a windowed read, the
/// model's rows are the key scan's (without one, the previous profile's).
state::diff_tally model_tally(const plan_phase_result& planned,
                              const std::optional<state::model_profile>& previous);

/// Opens the model, checks its columns, streams it through extract → diff into the change set.
/// Stops early (nothing planned) when `interrupted` turns true.
plan_phase_result run_plan_phase(caf::actor_system& sys, const sync_config& cfg,
                                 const std::shared_ptr<state::sync_state>& st, uint64_t run_id,
                                 const std::shared_ptr<run_progress>& progress, progress_line& line,
                                 const std::atomic<bool>* interrupted);

struct apply_phase_context {
  std::shared_ptr<state::state_dir> dir;
  std::shared_ptr<state::sync_state> st;
  rate_limiter_actor limiter;
  const std::atomic<bool>* interrupted = nullptr;  ///< set by SIGINT/SIGTERM: finish in-flight, stop
  bool after_crash = false;  ///< an interrupted run may have sent part of the change set
};

/// Streams the change set through read → map → batch → deliver → commit; first resumes the
/// asynchronous jobs an interrupted run left running. `counts` says how many changes of each
/// kind the change set holds (for a resumed change set, estimates).
apply_report run_apply_phase(caf::actor_system& sys, const sync_config& cfg,
                             const apply_phase_context& ctx, const model_shape& shape,
                             uint64_t run_id, const plan_counts& counts,
                             const std::shared_ptr<run_progress>& progress, progress_line& line);

}  // namespace backflow
