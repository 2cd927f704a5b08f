// `backflow validate` and `backflow describe`: check sync files, document connectors.
#include <iostream>

#include "connectors/destinations/registry.hpp"
#include "connectors/sources/source.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"

namespace backflow {

int cmd_validate(const cli_args& args) {
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return exit_usage;
  const auto& file = args.positional.front();
  // The model's columns, without reading rows: catches unknown key and mapped columns.
  if (!args.flag("offline") && !check_against_model(*cfg, file))
    return exit_usage;
  std::cout << file << ": valid — sync \"" << cfg->name << "\", " << cfg->source.type << " → "
            << cfg->destination_type << ", mode " << to_string(cfg->mode) << ", "
            << (cfg->mapping_given ? std::to_string(cfg->mapping.size()) + " mapped fields"
                                   : std::string("every non-key column mapped by name"))
            << "\n";
  if (args.flag("print"))
    std::cout << redact_secrets(cfg->redacted.dump(2)) << "\n";
  return 0;
}

int cmd_describe(const cli_args& args) {
  if (args.positional.empty()) {
    std::cout << "Destinations (backflow describe TYPE for their options):\n";
    for (const auto& t : destination_types()) {
      std::cout << "  " << t.name << " — " << t.summary << "\n    modes:";
      for (auto m : t.modes)
        std::cout << " " << to_string(m);
      std::cout << "\n";
    }
    std::cout << "Sources: sqlite (path), postgres (dsn)\n";
    return 0;
  }
  const auto* t = find_destination_type(args.positional.front());
  if (t == nullptr) {
    std::cerr << "backflow describe: unknown destination \"" << args.positional.front() << "\"\n";
    return exit_usage;
  }
  std::cout << t->name << " — " << t->summary << "\nmodes:";
  for (auto m : t->modes)
    std::cout << " " << to_string(m);
  std::cout << "\n\ndestination options:\n"
            << "type (string, required)\n    \"" << t->name << "\"\n"
            << describe_options(t->options);
  return 0;
}

}  // namespace backflow
