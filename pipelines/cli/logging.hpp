// spdlog set-up for the CLI: stderr, key=value lines, secrets scrubbed.
#pragma once

#include <string>

namespace backflow {

/// Installs the default logger (stderr) and the named component loggers at `level`
/// ("debug", "info", "warn", "error", "off"). Every line passes through redact_secrets.
void init_logging(const std::string& level);

}  // namespace backflow
