// `backflow validate` and `backflow describe`: check sync files, document connectors.
#include <iostream>

#include "connectors/destinations/registry.hpp"
#include "connectors/sources/registry.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/config/sync_options.hpp"
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

namespace {

void list_connectors() {
  std::cout << "Destinations (backflow describe TYPE for their options):\n";
  for (const auto& t : destination_types()) {
    std::cout << "  " << t.name << " — " << t.summary << "\n    modes:";
    for (auto m : t.modes)
      std::cout << " " << to_string(m);
    std::cout << "\n";
  }
  std::cout << "Sources (backflow describe TYPE for their options):\n";
  for (const auto& t : source_types()) {
    std::cout << "  " << t.name << " — " << t.summary << "\n    options:";
    for (const auto& o : t.options)
      std::cout << " " << o.name;
    std::cout << "\n";
  }
}

void describe_destination(const destination_type& t) {
  std::cout << t.name << " — " << t.summary << "\nmodes:";
  for (auto m : t.modes)
    std::cout << " " << to_string(m);
  std::cout << "\n\ndestination options:\n"
            << "type (string, required)\n    \"" << t.name << "\"\n"
            << describe_options(t.options);
}

void describe_source_type(const source_type& t) {
  std::vector<option_spec> common;
  for (const auto& o : source_options())
    if (o.name != "type")
      common.push_back(o);
  std::cout << t.name << " — " << t.summary << "\n\nsource options:\n"
            << "type (string, required)\n    \"" << t.name << "\"\n"
            << describe_options(common) << describe_options(t.options);
}

}  // namespace

int cmd_describe(const cli_args& args) {
  if (args.positional.empty()) {
    list_connectors();
    return 0;
  }
  const auto& name = args.positional.front();
  if (const auto* t = find_destination_type(name)) {
    describe_destination(*t);
    return 0;
  }
  if (const auto* t = find_source_type(name)) {
    describe_source_type(*t);
    return 0;
  }
  std::cerr << "backflow describe: unknown destination or source \"" << name << "\"\n";
  return exit_usage;
}

}  // namespace backflow
