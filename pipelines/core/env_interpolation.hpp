// `${VAR}` and `${VAR:-default}` interpolation of environment variables in sync files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/option_spec.hpp"

namespace backflow {

/// Looks up an environment variable; replaceable in tests.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

env_lookup process_environment();

/// Replaces `${VAR}` in every string of `doc` (recursively). `$${` is a literal `${`.
/// Unset variables without a default are errors at the string's key path.
/// Every substituted value is appended to `substituted` (to redact secrets everywhere).
nlohmann::json interpolate_env(const nlohmann::json& doc, const env_lookup& env,
                               config_errors& errors, std::vector<std::string>& substituted,
                               const std::string& path = "");

}  // namespace backflow
