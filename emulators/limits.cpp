// The tunable limits of an emulator (see limits.hpp).
#include "emulators/limits.hpp"

#include <algorithm>

namespace backflow::emulators {
namespace {

}  // namespace

std::int64_t* limit_field(limits& l, const std::string& key) {
  if (key == "latency_ms")
    return &l.latency_ms;
  if (key == "per_10s")
    return &l.per_10s;
  if (key == "daily")
    return &l.daily;
  if (key == "per_second")
    return &l.per_second;
  if (key == "max_batch")
    return &l.max_batch;
  if (key == "bulk_delay_ms")
    return &l.bulk_delay_ms;
  if (key == "hourly")
    return &l.hourly;
  if (key == "per_minute")
    return &l.per_minute;
  if (key == "max_jobs")
    return &l.max_jobs;
  if (key == "concurrent")
    return &l.concurrent;
  if (key == "per_3s")
    return &l.per_3s;
  if (key == "per_20s")
    return &l.per_20s;
  return nullptr;
}

nlohmann::json limits_to_json(const limits& current, const std::vector<std::string>& keys) {
  auto copy = current;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& key : keys)
    if (auto* value = limit_field(copy, key))
      out[key] = *value;
  return out;
}

result<limits> apply_limits(const limits& current, const nlohmann::json& update,
                            const std::vector<std::string>& keys) {
  if (!update.is_object())
    return failure{"limits must be a JSON object"};
  limits next = current;
  std::string problems;
  for (const auto& [key, value] : update.items()) {
    auto* target = limit_field(next, key);
    if (target == nullptr || std::find(keys.begin(), keys.end(), key) == keys.end()) {
      problems += (problems.empty() ? "" : "; ") + ("unsupported limit '" + key + "'");
      continue;
    }
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      problems += (problems.empty() ? "" : "; ") + ("limit '" + key + "' must be an integer >= 0");
      continue;
    }
    *target = value.get<std::int64_t>();
  }
  if (!problems.empty())
    return failure{problems};
  return next;
}

}  // namespace backflow::emulators
