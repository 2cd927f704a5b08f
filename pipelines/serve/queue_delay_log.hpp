// Throttled log lines about schedule slots that started late because every run slot was busy.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace backflow {

/// When a sync's slot starts late because it waited for a free run slot, the log says so, but at
/// most once per `every`: thousands of syncs due at one minute would otherwise write thousands of
/// lines. A line names one delayed slot and counts the others delayed since the previous line
/// (the metrics count every one). Not thread-safe: the scheduler calls it under its lock.
class queue_delay_log {
 public:
  using clock = std::chrono::steady_clock;

  explicit queue_delay_log(std::chrono::milliseconds every = std::chrono::seconds(10),
                           std::chrono::milliseconds least = std::chrono::seconds(1))
      : every_(every), least_(least) {}

  /// A run of `sync` started `delay` after its slot `slot` (ISO 8601) after waiting for a free
  /// run slot. Delays under `least` are not worth a line. Returns whether it wrote a line.
  bool delayed(const std::string& sync, const std::string& slot, std::chrono::milliseconds delay,
               size_t run_slots, clock::time_point now = clock::now());

 private:
  std::chrono::milliseconds every_;
  std::chrono::milliseconds least_;
  bool logged_ = false;
  clock::time_point last_line_{};
  uint64_t not_logged_ = 0;  ///< delayed slots since the last line, not in a line of their own
  int64_t not_logged_max_ms_ = 0;
};

}  // namespace backflow
