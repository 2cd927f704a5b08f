// `backflow dbt exposures --syncs DIR [--out FILE]`: the syncs of dbt models as dbt exposures.
#include <algorithm>
#include <fstream>
#include <iostream>

#include "pipelines/cli/commands.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/dbt/dbt_exposures.hpp"

namespace backflow {
namespace {

int write_exposures(const cli_args& args) {
  auto dir = args.option("syncs", "");
  if (dir.empty()) {
    std::cerr << "backflow dbt exposures: --syncs DIR is required (the sync files' directory)\n";
    return exit_usage;
  }
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json" && it->is_regular_file(ec))
      files.push_back(it->path());
  if (ec) {
    std::cerr << "backflow dbt exposures: cannot read " << dir << ": " << ec.message() << "\n";
    return exit_usage;
  }
  std::sort(files.begin(), files.end());
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
