// backflow-emulator's command line, read against the emulator registry.
#pragma once

#include <memory>
#include <string>

#include "emulators/emulator_server.hpp"
#include "emulators/registry.hpp"
#include "pipelines/core/result.hpp"

namespace backflow::emulators {

/// A parsed command line: which emulator, made from its options, and how to serve it.
struct emulator_cli {
  const emulator_type* type = nullptr;
  std::unique_ptr<emulator> vendor;
  server_options server;
};

/// The usage text: every registered emulator with its summary and options.
[[nodiscard]] std::string emulator_usage();

/// The registry as JSON, for `backflow-emulator --list`: [{"name","summary","destinations"}].
[[nodiscard]] std::string emulator_list_json();

/// Parses argv (argv[0] is skipped) and makes the emulator; a message naming the bad argument on
/// failure, or an empty message for --help.
[[nodiscard]] result<emulator_cli> parse_emulator_cli(int argc, const char* const* argv);

}  // namespace backflow::emulators
