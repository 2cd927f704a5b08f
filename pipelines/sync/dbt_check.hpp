// The dbt gate of a sync (source.dbt): reads the project's latest artifacts and judges its model.
#pragma once

#include <chrono>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/dbt/dbt_gate.hpp"

namespace backflow {

/// Reads manifest.json and run_results.json from the sync's dbt target directory (anew: dbt may
/// have run since the sync file was read) and judges the model. Unreadable artifacts close the
/// gate, saying which file and why.
dbt::gate_verdict judge_dbt_model(const dbt_model_config& config,
                                  std::chrono::system_clock::time_point now);

}  // namespace backflow
