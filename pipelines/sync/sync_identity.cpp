// What a sync's state was built against (see sync_identity.hpp).
#include "pipelines/sync/sync_identity.hpp"

#include "connectors/destinations/registry.hpp"
#include "connectors/sources/source_location.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow {

std::string destination_account(const sync_config& cfg) {
  const auto* type = find_destination_type(cfg.destination_type);
  return type == nullptr ? std::string() : type->make(cfg.connector_context(0))->account();
}

nlohmann::json sync_identity(const sync_config& cfg) {
  nlohmann::json destination = {{"type", cfg.destination_type}};
  if (const auto* type = find_destination_type(cfg.destination_type)) {
    auto account = type->make(cfg.connector_context(0))->account();
    // "<kind>:<endpoint>#<credential digest>": the digest only where the credential says
    // which account records land in; elsewhere a new credential is a rotation.
    if (!type->credential_names_account)
      account = account.substr(0, account.rfind('#'));
    destination["account"] = account;
    nlohmann::json shape = nlohmann::json::object();
    for (const auto& o : type->options)
      if (o.fingerprint && cfg.destination.contains(o.name))
        shape[o.name] = cfg.destination[o.name];
    destination["shape"] = std::move(shape);
  }
  return {{"destination", std::move(destination)}, {"source", source_location(cfg.source)}};
}

std::string identity_digest(const nlohmann::json& identity) {
  return sha256_hex(identity.dump());
}

std::string identity_mismatch(const nlohmann::json& recorded, const nlohmann::json& current,
                              const std::string& sync_name, bool secret_part_differs) {
  if (!recorded.is_object() || (recorded == current && !secret_part_differs))
    return {};
  std::vector<std::string> differences;
  const auto was = recorded.value("destination", nlohmann::json::object());
  const auto now = current.value("destination", nlohmann::json::object());
  auto describe = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (was.value("type", nlohmann::json()) != now.value("type", nlohmann::json()))
    differences.push_back("the destination type (was " + describe(was.value("type", nlohmann::json())) + ")");
  else if (was.value("account", nlohmann::json()) != now.value("account", nlohmann::json()))
    differences.push_back("the destination account (was " +
                          describe(was.value("account", nlohmann::json())) + ", now " +
                          describe(now.value("account", nlohmann::json())) + ")");
  if (was.value("shape", nlohmann::json()) != now.value("shape", nlohmann::json()))
    differences.push_back("where records land (was " + describe(was.value("shape", nlohmann::json())) +
                          ", now " + describe(now.value("shape", nlohmann::json())) + ")");
  if (recorded.value("source", nlohmann::json()) != current.value("source", nlohmann::json()))
    differences.push_back("the source (was " + describe(recorded.value("source", nlohmann::json())) +
                          ", now " + describe(current.value("source", nlohmann::json())) + ")");
  if (differences.empty())
    differences.push_back("a part given by a secret or an environment variable (an endpoint or "
                          "a credential)");
  std::string list;
  for (size_t i = 0; i < differences.size(); ++i)
    list += (i == 0 ? "" : "; ") + differences[i];
  return "the state of sync \"" + sync_name + "\" was built for another destination or source: " +
         list + ". Records it counts as synced may never have reached this one. Run `backflow "
         "reset` to send every row to it, or pass --adopt if it is the same destination and "
         "source under a new address or credential";
}

}  // namespace backflow
