// What `plan`, `run` and `retry` share: load the sync file, open state, run with an actor system.
#pragma once

#include <functional>
#include <memory>

#include "pipelines/cli/cli_args.hpp"
#include "pipelines/sync/sync_runner.hpp"
#include "state/state_dir.hpp"

namespace backflow {

/// A sync file loaded and checked against its model, its state directory, and a runner.
struct run_session {
  const sync_config& cfg;
  const std::shared_ptr<state::state_dir>& dir;
  sync_runner& runner;
  const run_options& opts;  ///< progress on a terminal; SIGINT/SIGTERM stop the run cleanly
};

/// Loads the sync file, opens the state directory, checks the file against its model (printing
/// problems as "FILE: key.path: message"), then calls `body` with an actor system running.
/// Returns `body`'s exit code, or 2 when the file, the state or the model's columns are wrong.
int with_run_session(const cli_args& args, const std::function<int(const run_session&)>& body);

/// Prints a run summary as text or one JSON line, secrets redacted.
void print_summary(const run_summary& summary, bool json);

}  // namespace backflow
