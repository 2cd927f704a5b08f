// When `backflow serve` runs a sync: every interval, on a cron expression, or only on demand.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/schedule/cron.hpp"
#include "pipelines/schedule/time_zone.hpp"

namespace backflow {

/// A sync's `schedule`, parsed: {"every": "5m"}, {"cron": "*/5 * * * *", "timezone":
/// "Europe/Paris"} or {"manual": true}. No schedule at all means manual.
struct sync_schedule {
  enum class kind { manual, every, cron };
  kind what = kind::manual;
  std::chrono::milliseconds interval{0};
  std::optional<cron_expr> cron;
  time_zone zone;  ///< the cron expression's zone: UTC, "+HH:MM" or an IANA name

  /// The first time the sync is due strictly after `t` (nullopt: only when triggered). An
  /// interval counts from `t`, the end of the previous run's slot.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_after(
      std::chrono::system_clock::time_point t) const;

  /// "every 5m", "cron */5 * * * * (Europe/Paris)", "manual".
  [[nodiscard]] std::string describe() const;
};

/// "2026-11-24T17:00:00.250Z": a slot time as GET /syncs and the service's log show it.
std::string iso8601_ms(std::chrono::system_clock::time_point t);

/// Parses a `schedule` object that passed the option table; reports problems under "schedule".
sync_schedule parse_sync_schedule(const nlohmann::json& value, config_errors& errors);

}  // namespace backflow
