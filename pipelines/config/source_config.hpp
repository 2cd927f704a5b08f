// The sync file's `source` object, checked against the common keys and its type's registry table.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "pipelines/config/sync_config.hpp"

namespace backflow {

/// Reads `doc["source"]` into `cfg.source` and `cfg.key_columns`: `type` must name a registered
/// source; its own keys come from the registry (a key of another type is named as such);
/// options are resolved against `base_dir`; secret values go to `cfg.secrets`. Every problem is
/// added to `errors` under its key path ("source.dsn: ...").
void parse_source(const nlohmann::json& doc, const std::filesystem::path& base_dir,
                  sync_config& cfg, config_errors& errors);

/// The keys of `source.incremental`: cursor, lookback, deletes.
const std::vector<option_spec>& incremental_options();

/// The keys of `source.dbt`: project_dir, model, target_path, max_age, warn.
const std::vector<option_spec>& dbt_options();

/// `source` with every option that is secret in a registered source type replaced by "***".
nlohmann::json redact_source(const nlohmann::json& source);

}  // namespace backflow
