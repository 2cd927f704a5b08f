// Loading the sync file named on the command line (see sync_file.hpp).
#include "pipelines/cli/sync_file.hpp"

#include <iostream>

#include "connectors/sources/source.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/guards.hpp"

namespace backflow {

std::optional<sync_config> load_sync_argument(const cli_args& args) {
  if (args.positional.size() != 1) {
    std::cerr << "backflow " << args.command << ": expected one sync file, e.g. `backflow "
              << args.command << " examples/pql_to_hubspot.json`\n";
    return std::nullopt;
  }
  const auto& file = args.positional.front();
  auto loaded = load_sync_file(file);
  for (const auto& s : loaded.secrets)
    register_secret(s);
  for (const auto& e : loaded.errors.items())
    std::cerr << file << ": " << redact_secrets(e) << "\n";
  return std::move(loaded.config);
}

bool check_against_model(const sync_config& cfg, const std::string& file,
                         const std::optional<state::model_profile>& previous) {
  auto columns = describe_source(cfg.source);
  if (!columns) {
    auto message = redact_secrets(columns.error().message);
    bool config_problem = is_config_problem(cfg.source, columns.error());
    std::cerr << file << ": " << (config_problem ? "" : "warning: could not check the model's columns: ")
              << message << "\n";
    return !config_problem;
  }
  if (!vanished_columns(cfg, *columns, previous).empty())
    return true;  // the model changed under the sync: the run's guards stop it
  config_errors errors;
  check_model_columns(cfg, *columns, errors);
  for (const auto& e : errors.items())
    std::cerr << file << ": " << redact_secrets(e) << "\n";
  return errors.empty();
}

std::string state_dir_argument(const cli_args& args) {
  return args.option("state", ".backflow");
}

}  // namespace backflow
