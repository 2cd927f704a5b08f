// Process-wide list of secret values, scrubbed from every log line and printed error.
#pragma once

#include <string>
#include <string_view>

namespace backflow {

/// Remembers `secret`; values shorter than 6 characters or all digits are ignored (too likely to
/// appear in ordinary output by chance).
void register_secret(std::string_view secret);

/// `text` with every registered secret replaced by "***".
std::string redact_secrets(std::string text);

}  // namespace backflow
