// What one execution of a sync carries from step to step (sync_runner.cpp, sync_steps.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/run_progress.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/phases.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/sync_runner.hpp"

namespace backflow {

/// What one execution of a sync carries from step to step.
struct sync_runner::attempt {
  attempt(const sync_config& c, const run_options& o, bool plan, std::vector<planned_change>* out)
      : cfg(c), opts(o), plan_only(plan), samples(out), redact(c.secrets), line(o.show_progress) {
    summary.sync = cfg.name;
    summary.started_at = iso_now();
  }

  const sync_config& cfg;
  const run_options& opts;
  const bool plan_only;
  std::vector<planned_change>* samples;  ///< plan: the sampled changes, for display
  plan_file_writer* plan_out = nullptr;   ///< plan --out: the plan file to write
  const reviewed_plan* plan_in = nullptr;  ///< apply FILE: the reviewed plan to apply
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  run_summary summary;
  redactor redact;
  std::shared_ptr<state::sync_state> st;
  nlohmann::json identity;  ///< the destination account and source this state belongs to
  bool recorded = false;
  std::shared_ptr<run_progress> progress = std::make_shared<run_progress>();
  progress_line line;
  state::plan_record pending;  ///< the change set an interrupted run left, if any
  bool interrupted_run = false;
  std::optional<model_shape> resumable;  ///< its shape, when the sync file still produces it
  plan_phase_result planned;
  int64_t unanswered_at_ms = 0;  ///< when a request of this run last went unanswered (unix ms)
  int64_t resumed_unanswered_at_ms = 0;  ///< the same, for the resumed change set's requests
};

}  // namespace backflow
