// Runs syncs: resume an interrupted change set, or plan, check guards and apply; record the run.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "actors/run_progress.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/run_summary.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow {

class plan_file_writer;  // reviewed_plan.hpp
struct reviewed_plan;

struct run_options {
  bool show_progress = false;                      ///< draw the progress line on stderr
  const std::atomic<bool>* interrupted = nullptr;  ///< stop gracefully when it turns true
  size_t samples = 5;                              ///< plan: changes shown per kind
  /// The sync file's destination or source differs from the one its state was built for, and
  /// the user says it is the same (a new address or credential): take the state over.
  bool adopt = false;
};

/// One change as `plan` shows it: what would be sent.
struct planned_change {
  std::string kind;  ///< added | changed | deleted
  std::string op;    ///< the request it becomes, or how it is settled without one
  std::string key;
  nlohmann::json fields;
};

class sync_runner {
 public:
  sync_runner(caf::actor_system& sys, std::shared_ptr<state::state_dir> dir,
              rate_limiter_actor limiter);

  /// One run of `cfg`. Never throws; every failure is a status in the summary.
  run_summary run(const sync_config& cfg, const run_options& opts);

  /// Extract + diff only: counts and samples of what `run` would send. Sends nothing and leaves
  /// the synced state as it was.
  run_summary plan(const sync_config& cfg, const run_options& opts,
                   std::vector<planned_change>& samples);

  /// plan() that also writes the whole change set to `out` (reviewed_plan.hpp) before it is
  /// forgotten; `out.finished()` says whether it was (a guard, a bad model or an interrupted
  /// run leaves no file).
  run_summary plan_to_file(const sync_config& cfg, const run_options& opts,
                           std::vector<planned_change>& samples, plan_file_writer& out);

  /// Applies a reviewed plan file (check_plan_file): exactly its records, through the same
  /// delivery and commit path as run, without reading the model. Refuses (aborted) when the
  /// state moved on since the plan; finishes the plan when its apply was interrupted.
  run_summary apply_reviewed(const sync_config& cfg, const run_options& opts,
                             const reviewed_plan& plan);

 private:
  struct attempt;

  /// A run in steps: open the state (and check it belongs to this sync), load an interrupted
  /// change set, check freshness, resume, plan, check guards, record the plan, apply. A step
  /// returns a status when the run ends there.
  run_summary execute(const sync_config& cfg, const run_options& opts, bool plan_only,
                      std::vector<planned_change>* samples, plan_file_writer* plan_out = nullptr,
                      const reviewed_plan* plan_in = nullptr);
  std::optional<run_status> open_state(attempt& a);
  std::optional<run_status> load_pending(attempt& a);
  std::optional<run_status> check_dbt(attempt& a);
  std::optional<run_status> check_fresh(attempt& a);
  std::optional<run_status> resume_interrupted(attempt& a);
  std::optional<run_status> plan_changes(attempt& a);
  std::optional<run_status> check_guards(attempt& a);
  std::optional<run_status> record_plan(attempt& a);
  std::optional<run_status> apply_plan(attempt& a);
  /// plan --out: the change set written to the plan file (before check_guards forgets it).
  std::optional<run_status> write_plan(attempt& a, const std::vector<std::string>& guard_problems);
  /// apply FILE: the reviewed plan admitted and taken in as the change set, or resumed.
  std::optional<run_status> take_reviewed(attempt& a);
  /// Ends the run with `status`: its summary, recorded in the sync's history once it has an id.
  run_summary finish(attempt& a, run_status status);
  /// After a recorded run of a sync with `writeback`: copies what the warehouse lacks
  /// (writeback.hpp) and adds the report to the summary. Its failure changes nothing else.
  run_summary write_back_step(attempt& a, run_summary summary);
  /// The sync's entry in the state directory's registry (what `status` lists).
  nlohmann::json registry_entry(const attempt& a, nlohmann::json last_run) const;
  /// The shape of an interrupted change set, when the sync file still produces the same one.
  std::optional<model_shape> resumable_shape(const sync_config& cfg,
                                             const state::plan_record& pending) const;
  /// Applies the pending change set; returns how many changes are left (0: all settled).
  /// `after_crash`: an interrupted run may have sent some of it already. Sets
  /// `unanswered_at_ms` when a request left without an answer (delivery_report).
  uint64_t apply_change_set(attempt& a, const model_shape& shape, bool after_crash);
  /// Before the new plan is sent after a resumed change set whose request went unanswered:
  /// waits one request timeout past it, so that a late landing of that request (older values)
  /// cannot overwrite the newer values this run sends for the same records.
  void wait_out_unanswered(const attempt& a) const;

  caf::actor_system& sys_;
  std::shared_ptr<state::state_dir> dir_;
  rate_limiter_actor limiter_;
};

}  // namespace backflow
