// Guards: checks on the whole change set that abort a run before its first request.
#pragma once

#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"
#include "state/change_set_builder.hpp"

namespace backflow {

/// Why the model is unusable (null or duplicate keys); empty when it is fine.
std::vector<std::string> bad_model_problems(const state::diff_tally& tally,
                                            const std::vector<std::string>& key_columns);

/// Which guards the change set trips; empty when it may be applied. Ratios are taken against
/// the rows synced before this run, so a first run (nothing synced) is never held back by them.
std::vector<std::string> tripped_guards(const guards_config& guards, const state::diff_tally& tally);

}  // namespace backflow
