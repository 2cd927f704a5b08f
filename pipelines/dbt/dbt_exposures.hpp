// dbt exposures for syncs: one per sync of a dbt model, so the syncs appear in dbt docs and lineage.
#pragma once

#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"

namespace backflow::dbt {

/// A dbt properties file (`version: 2`, `exposures:`) with one exposure per sync of `syncs` that
/// reads a dbt model (the others are skipped): named after the sync (letters, digits and '_'),
/// type application, depends_on ref() of its model, owner from the sync file (its name when it
/// has none: dbt requires one), description and meta naming the destination and mode.
std::string exposures_yaml(const std::vector<sync_config>& syncs);

/// `name` as a dbt resource name: every character but letters, digits and '_' becomes '_'.
std::string exposure_name(const std::string& name);

}  // namespace backflow::dbt
