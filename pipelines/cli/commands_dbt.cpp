// `backflow dbt exposures --syncs DIR [--out FILE]`: the syncs of dbt models as dbt exposures.
#include <fstream>
#include <iostream>

#include "pipelines/cli/commands.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/dbt/dbt_exposures.hpp"
#include "pipelines/serve/sync_catalog.hpp"

namespace backflow {
namespace {

int write_exposures(const cli_args& args) {
  auto dir = args.option("syncs", "");
  if (dir.empty()) {
    std::cerr << "backflow dbt exposures: --syncs DIR is required (the sync files' directory)\n";
    return exit_usage;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "backflow dbt exposures: " << dir << " is not a readable directory\n";
    return exit_usage;
  }
  auto files = sync_files(dir);
  std::vector<sync_config> syncs;
  int code = 0;
  for (const auto& file : files) {
    auto loaded = load_sync_file(file);
    for (const auto& s : loaded.secrets)
      register_secret(s);
    if (!loaded.config) {
      // A broken sync file is named, and the others are still written.
      for (const auto& e : loaded.errors.items())
        std::cerr << file.string() << ": " << redact_secrets(e) << "\n";
      code = exit_usage;
      continue;
    }
    syncs.push_back(std::move(*loaded.config));
  }
  auto yaml = dbt::exposures_yaml(syncs);
  auto out = args.option("out", "");
  if (out.empty()) {
    std::cout << yaml;
  } else {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << yaml;
    if (!f) {
      std::cerr << "backflow dbt exposures: cannot write " << out << "\n";
      return exit_usage;
    }
  }
  return code;
}

}  // namespace

int cmd_dbt(const cli_args& args) {
  if (!args.positional.empty() && args.positional.front() == "exposures")
    return write_exposures(args);
  std::cerr << "usage: backflow dbt exposures --syncs DIR [--out FILE]\n";
  return exit_usage;
}

}  // namespace backflow
