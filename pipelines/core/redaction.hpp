// Secrets scrubbed from everything stored or printed, in every form they may take there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow {

/// Replaces secrets with "***" in text, whether it holds a secret as it is, JSON-escaped,
/// percent-encoded, hex, or inside base64 (alone or as part of a longer encoded value such as
/// an HTTP Basic credential). Values shorter than 6 characters or all digits are not secrets
/// to it: they would blank out ordinary text ("1000 delivered").
class redactor {
 public:
  redactor() = default;
  explicit redactor(const std::vector<std::string>& secrets);

  void add(std::string_view secret);
  [[nodiscard]] bool empty() const { return forms_.empty(); }

  /// `text` with every form of every secret replaced.
  [[nodiscard]] std::string text(std::string text) const;
  /// A copy of `value` with every string in it (keys too) redacted.
  [[nodiscard]] nlohmann::json json(const nlohmann::json& value) const;

 private:
  std::vector<std::string> forms_;  ///< every encoding of every secret, longest first
};

/// `s` with the bytes outside [A-Za-z0-9-_.~] as %XX (`upper` or lower hex digits), a space
/// as '+' when `plus_for_space`: the forms secrets take in URLs and forms, and how the HTTP
/// warehouse clients escape URL parts and form values.
std::string percent_encoded(std::string_view s, bool upper, bool plus_for_space);

/// Remembers `secret` in the process-wide redactor that logs and printed output go through.
void register_secret(std::string_view secret);

/// `text` with every registered secret replaced by "***", in any of its forms.
std::string redact_secrets(std::string text);

/// The process-wide redactor (a copy), for code that stores what it is given.
redactor registered_secrets();

}  // namespace backflow
