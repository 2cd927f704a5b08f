// The instant of a Unix time in seconds, for the clock, cron, time zone and freshness tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace backflow::unit {

inline std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

}  // namespace backflow::unit
