// An emulator's tunable limits (latency, rate, batch size), set by the CLI and /__emulator/limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"

namespace backflow::emulators {

/// Limits an emulator enforces; 0 always means none / unlimited.
struct limits {
  std::int64_t latency_ms = 0;     ///< sleep before every API request
  std::int64_t per_10s = 0;        ///< requests per rolling 10 s window (HubSpot)
  std::int64_t daily = 0;          ///< requests since start or reset (HubSpot, Salesforce)
  std::int64_t per_second = 0;     ///< requests per rolling second (webhook)
  std::int64_t max_batch = 0;      ///< records per request (webhook)
  std::int64_t bulk_delay_ms = 0;  ///< Bulk 2.0 processing time after UploadComplete (Salesforce)
  std::int64_t hourly = 0;         ///< calls per ad account per rolling hour (Meta)
  std::int64_t per_minute = 0;     ///< requests per rolling minute (Zendesk)
  std::int64_t max_jobs = 0;       ///< background jobs queued or running at once (Zendesk)
  std::int64_t concurrent = 0;     ///< requests being answered at once (Mailchimp, Marketo)
  std::int64_t per_3s = 0;         ///< requests per rolling 3 s window (Braze /users/track)
  std::int64_t per_20s = 0;        ///< calls per rolling 20 s window (Marketo)
};

/// The field of `l` named `key` ("per_10s"), or nullptr for an unknown key.
std::int64_t* limit_field(limits& l, const std::string& key);

/// The JSON form of `current`, restricted to the keys an emulator supports.
nlohmann::json limits_to_json(const limits& current, const std::vector<std::string>& keys);

/// Applies the keys present in `update` to a copy of `current`; unknown or unsupported keys and
/// values that are not non-negative integers are errors, reported all at once.
result<limits> apply_limits(const limits& current, const nlohmann::json& update,
                            const std::vector<std::string>& keys);

}  // namespace backflow::emulators
