// Loading the sync file named on the command line, reporting every error with its key path.
#pragma once

#include <optional>
#include <string>

#include "pipelines/cli/cli_args.hpp"
#include "pipelines/config/sync_config.hpp"
#include "state/model_profile.hpp"

namespace backflow {

/// Loads the one positional SYNC.json argument. On errors, prints them all to stderr
/// ("FILE: key.path: message") and returns nullopt. Registers the file's secrets for redaction.
std::optional<sync_config> load_sync_argument(const cli_args& args);

/// Checks the sync against its model's columns, without reading rows. Prints each problem as
/// "FILE: key.path: message" and returns false when the sync cannot run on this model (a query
/// that does not compile, a missing SQLite file, a key or mapped column the query does not
/// return). A warehouse that cannot be reached is only a warning: that is not the file's fault.
/// Columns the sync's last accepted plan read (`previous`) are not the file's fault either: a
/// run's guards report those (exit 3), so they pass here.
bool check_against_model(const sync_config& cfg, const std::string& file,
                         const std::optional<state::model_profile>& previous = std::nullopt);

/// The --state directory (default ./.backflow).
std::string state_dir_argument(const cli_args& args);

}  // namespace backflow
