// The destinations under the oracle: their emulators, the sync file pieces that reach them, the
// modes they support and their contract functions (expected.hpp). Each destination fills its
// profiles in tests/destinations/<name>.cpp; profiles() reads them from the test registry.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/oracle/expected.hpp"
#include "tests/oracle/sync_setup.hpp"

namespace backflow::oracle {

/// Which mapped fields a sync has; sequences change it between runs.
struct mapping_choice {
  bool optional_field = true;  ///< tier (Meta: LN)
  bool second_field = true;    ///< note (Meta: PHONE)
  bool renamed = false;        ///< note goes to another field name (not Meta)
  bool float_as_text = false;  ///< score is also sent as a string (not Meta)
  bool implicit = false;       ///< no mapping in the sync file (destinations with implicit_mapping)
};

/// One destination flavour: Salesforce through collections and through Bulk 2.0 are two.
struct profile {
  std::string name;      ///< hubspot, salesforce, salesforce_bulk, meta, webhook
  std::string emulator;  ///< backflow-emulator kind
  std::vector<std::string> modes;
  std::string api_path;           ///< what every fault matches
  bool record_ids = false;        ///< records have ids: creations can be counted
  bool composite_keys = false;    ///< the oracle may key rows by (k1, k2)
  bool long_keys = false;         ///< keys may be long (the destination does not limit them)
  bool email_keys = false;        ///< the key is an e-mail address (HubSpot contacts)
  bool audience = false;          ///< members are identities, not keyed records
  bool implicit_mapping = false;  ///< a sync without a mapping makes sense (any field is taken)
  expected_state (*expected)(const model_view&) = nullptr;
  held_state (*held)(testing::emulator_process&) = nullptr;
  std::vector<sent_value> (*sent)(const nlohmann::json&) = nullptr;
  /// The sync file's destination object for an emulator at the given url.
  std::function<nlohmann::json(const std::string& url)> destination_at;
  /// backflow-emulator options (after the kind).
  std::vector<std::string> emulator_options;
  /// The destination field each of the oracle's roles is mapped to. Keyed records: fn, score,
  /// big, amount, tier, note, notes (renamed note), score_text (score sent as text); audience
  /// members: email, fn, ln, phone.
  std::map<std::string, std::string> fields;

  /// The sync file's destination object for an emulator at `url`.
  [[nodiscard]] nlohmann::json destination(const std::string& url) const;
  /// The mapping for `choice` (ignoring `implicit`: see apply_mapping).
  [[nodiscard]] std::vector<mapping_entry> mapping(const mapping_choice& choice) const;
  /// Sets `setup`'s mapping for `choice`, implicit or explicit.
  void apply_mapping(const mapping_choice& choice, sync_setup& setup) const;
  /// backflow-emulator options (after the kind).
  [[nodiscard]] std::vector<std::string> emulator_args() const;
  /// The field `role` is mapped to; throws when the profile names none.
  [[nodiscard]] const std::string& field(const std::string& role) const;
};

/// The emulator options every oracle profile adds: request bodies are logged (sent()).
inline const std::string log_bodies = "--log-bodies";

/// Every destination flavour, in a fixed order (the test registry's).
const std::vector<profile>& profiles();

/// The registered destinations (connectors/destinations/registry.cpp) without an oracle profile.
std::vector<std::string> destinations_without_profiles();

/// The profile called `name`; throws when there is none.
const profile& profile_named(const std::string& name);

/// The webhook emulator's default signing secret (what the oracle's webhook syncs use).
inline std::string webhook_secret() {
  return "whsec_ZW11bGF0b3Itc2VjcmV0";  // base64 "emulator-secret"
}

}  // namespace backflow::oracle
