// Command-line parsing (see cli_args.hpp).
#include "pipelines/cli/cli_args.hpp"

namespace backflow {

result<cli_args> parse_cli(int argc, char** argv, const std::set<std::string>& with_value,
                           const std::set<std::string>& without_value) {
  cli_args out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      if (out.command.empty())
        out.command = arg;
      else
        out.positional.push_back(arg);
      continue;
    }
    auto name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc)
          return failure{"--" + name + " needs a value"};
        value = argv[++i];
      }
      out.options[name] = value;
    } else if (without_value.count(name) && !inline_value) {
      out.flags.insert(name);
    } else {
      return failure{"unknown option --" + name + " (see `backflow help`)"};
    }
  }
  return out;
}

}  // namespace backflow
