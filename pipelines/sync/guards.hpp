// Guards: checks on the whole change set that abort a run before its first request.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/schema.hpp"
#include "pipelines/diff/value_inspector.hpp"
#include "state/change_set_builder.hpp"
#include "state/model_profile.hpp"

namespace backflow {

/// Why the model is unusable (null or duplicate keys); empty when it is fine.
std::vector<std::string> bad_model_problems(const state::diff_tally& tally,
                                            const std::vector<std::string>& key_columns);

/// Which guards the change set trips; empty when it may be applied. Ratios are taken against
/// the rows synced before this run, so a first run (nothing synced) is never held back by them.
std::vector<std::string> tripped_guards(const guards_config& guards, const state::diff_tally& tally);

/// Columns the sync needs that the last accepted plan read and the model no longer returns.
/// (A column the model never returned is the sync file's mistake: a configuration error.)
std::vector<std::string> vanished_columns(const sync_config& cfg, const schema& model,
                                          const std::optional<state::model_profile>& previous);

/// What is wrong with the model itself: too few rows, too many lost since the previous run,
/// kept columns that changed type, values no destination should get. Empty when it is fine.
std::vector<std::string> model_problems(const guards_config& guards, const state::diff_tally& tally,
                                        const value_findings& values,
                                        const std::vector<std::string>& columns,
                                        const std::optional<state::model_profile>& previous);

/// The profile of an accepted plan, stored for the next run's guards.
state::model_profile profile_of(uint64_t run_id, const state::diff_tally& tally,
                                const value_findings& values,
                                const std::vector<std::string>& columns);

}  // namespace backflow
