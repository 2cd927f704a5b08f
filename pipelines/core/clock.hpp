// Wall-clock time for quotas and pauses, with a test hook to cross day boundaries.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace backflow {

/// Now. When BACKFLOW_FAKE_NOW is set (unix seconds), time starts there instead and runs on from
/// it: end-to-end tests use it to let a daily quota reset without waiting a day.
std::chrono::system_clock::time_point wall_now();
int64_t wall_now_ms();

/// The quota day ("YYYY-MM-DD") that `t` falls in, for an account whose day starts at midnight
/// `utc_offset` away from UTC (HubSpot resets at midnight in the account's time zone).
std::string quota_day(std::chrono::system_clock::time_point t, std::chrono::minutes utc_offset);

/// When the quota day that `t` falls in ends (the next reset).
std::chrono::system_clock::time_point quota_day_end(std::chrono::system_clock::time_point t,
                                                    std::chrono::minutes utc_offset);

/// "2026-11-24T17:00:00Z".
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace backflow
