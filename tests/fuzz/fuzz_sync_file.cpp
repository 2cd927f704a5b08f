// Fuzzes the sync-file parser: no input may throw, crash, leak a secret, or validate unusable.
#include <map>

#include "connectors/destinations/registry.hpp"
#include "pipelines/config/sync_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

namespace {

/// The environment every run sees: a few secrets, a DSN, and one empty variable.
std::optional<std::string> fake_env(const std::string& name) {
  static const std::map<std::string, std::string> env = {
      {"HUBSPOT_TOKEN", "pat-na1-11111111-2222-3333-4444-555555555555"},
      {"WAREHOUSE_DSN", "postgres://reader:s3cr3t-pw@db.internal:5432/analytics"},
      {"SALESFORCE_TOKEN", "00D5g000004XyZ!AQ0AQsecret"},
      {"META_TOKEN", "EAAGm0PX4ZCpsBAfuzztoken"},
      {"WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
      {"HUBSPOT_ENDPOINT", "http://127.0.0.1:8090"},
      {"EMPTY", ""},
  };
  auto it = env.find(name);
  return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
}

/// Whether `text` shows `secret`. Secrets shorter than 4 characters or holding '*' are skipped:
/// they can occur by chance, or reappear inside the "***" that replaces them.
bool shows(const std::string& text, const std::string& secret) {
  return secret.size() >= 4 && secret.find('*') == std::string::npos &&
         text.find(secret) != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto out = parse_sync_config(text, "/srv/syncs", fake_env);
  fuzz::require(out.config.has_value() == out.errors.empty(), "a config comes exactly without errors");
  for (const auto& error : out.errors.items())
    for (const auto& secret : out.secrets)
      fuzz::require(!shows(error, secret), "no error message shows a secret");
  if (!out.config)
    return 0;
  const auto& cfg = *out.config;
  auto printed = cfg.redacted.dump(2);  // what `backflow validate --print` shows
  for (const auto& secret : cfg.secrets)
    fuzz::require(!shows(printed, secret), "the redacted config shows no secret");
  fuzz::require(valid_sync_name(cfg.name), "a valid config has a valid name");
  fuzz::require(!cfg.key_columns.empty(), "a valid config has a key");
  (void)cfg.config_fingerprint();
  // The engine builds the connector from a validated config next: that must work too.
  const auto* type = find_destination_type(cfg.destination_type);
  fuzz::require(type != nullptr, "a valid config names a registered destination");
  fuzz::require(type->make(cfg.connector_context(1)) != nullptr, "a valid config builds its connector");
  return 0;
}
