// Process-wide list of secret values (see redaction.hpp).
#include "pipelines/core/redaction.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace backflow {
namespace {

std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}

std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}

}  // namespace

void register_secret(std::string_view secret) {
  // Short or purely numeric values would blank out ordinary text ("1000 delivered").
  bool numeric = std::all_of(secret.begin(), secret.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (secret.size() < 6 || numeric)
    return;
  std::lock_guard<std::mutex> guard(secrets_mutex());
  auto& all = secrets();
  if (std::find(all.begin(), all.end(), secret) == all.end())
    all.emplace_back(secret);
  // Longest first, so a secret containing another is replaced whole.
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redact_secrets(std::string text) {
  std::lock_guard<std::mutex> guard(secrets_mutex());
  for (const auto& s : secrets()) {
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
      text.replace(pos, s.size(), "***");
  }
  return text;
}

}  // namespace backflow
