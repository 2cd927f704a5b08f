// Command-line parsing: a command, positional arguments, --flags and --options with values.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "pipelines/core/result.hpp"

namespace backflow {

struct cli_args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  ///< --name VALUE or --name=VALUE
  std::set<std::string> flags;                 ///< --name

  [[nodiscard]] bool flag(const std::string& name) const { return flags.count(name) > 0; }
  [[nodiscard]] std::string option(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

/// Parses argv; options listed in `with_value` take a value, the others are flags. Unknown
/// names are errors.
result<cli_args> parse_cli(int argc, char** argv, const std::set<std::string>& with_value,
                           const std::set<std::string>& without_value);

}  // namespace backflow
