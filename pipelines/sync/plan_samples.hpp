// The sampled changes `backflow plan` shows: each as the request apply would send, values capped.
#pragma once

#include <vector>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/sync_runner.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// The sampled changes of a plan as apply would send them, for display.
std::vector<planned_change> describe_samples(const sync_config& cfg, const state::sync_state& st,
                                             const model_shape& shape,
                                             const state::diff_tally& tally);

}  // namespace backflow
