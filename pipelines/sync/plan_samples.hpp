// The sampled changes `backflow plan` shows: each as the request apply would send, values capped.
#pragma once

#include <vector>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/sync_runner.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// One change of the change set as apply would send it: its op, and the fields as they would
/// be sent. `capped`: long text values are cut (samples); a plan file keeps them whole.
planned_change describe_change(const sync_config& cfg, const std::vector<std::string>& fields,
                               const std::string& key, const state::change_record& change,
                               bool capped);

/// The sampled changes of a plan as apply would send them, for display.
std::vector<planned_change> describe_samples(const sync_config& cfg, const state::sync_state& st,
                                             const model_shape& shape,
                                             const state::diff_tally& tally);

}  // namespace backflow
