// What a sync's state was built against: its destination and its source, recorded with the state
// so that a sync file pointing elsewhere never reuses it unawares.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pipelines/config/sync_config.hpp"

namespace backflow {

/// {"destination": {"type", "account", "shape"}, "source": "<location>"}: the destination
/// account (endpoint and a digest of the credential, never the credential), the options that say
/// where records land (object, audience, id property), and where the model is read from.
nlohmann::json sync_identity(const sync_config& cfg);

/// The account the sync's destination shares rate limits, quotas and pauses with ("" when the
/// destination type is unknown).
std::string destination_account(const sync_config& cfg);

/// SHA-256 of an identity (hex): compared across runs where the identity itself is stored with
/// its secret parts redacted.
std::string identity_digest(const nlohmann::json& identity);

/// Why a sync file no longer matches the identity its state was built for ("" when it does):
/// names each part that differs and what to do.
/// `secret_part_differs`: the identities differ where both show redacted.
std::string identity_mismatch(const nlohmann::json& recorded, const nlohmann::json& current,
                              const std::string& sync_name, bool secret_part_differs = false);

}  // namespace backflow
