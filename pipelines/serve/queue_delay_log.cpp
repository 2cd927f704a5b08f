// Throttled "Schedule slot delayed" lines (see queue_delay_log.hpp).
#include "pipelines/serve/queue_delay_log.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace backflow {

bool queue_delay_log::delayed(const std::string& sync, const std::string& slot,
                              std::chrono::milliseconds delay, size_t run_slots, clock::time_point now) {
  if (delay < least_)
    return false;
  if (logged_ && now - last_line_ < every_) {
    ++not_logged_;
    not_logged_max_ms_ = std::max<int64_t>(not_logged_max_ms_, delay.count());
    return false;
  }
  spdlog::warn("Schedule slot delayed: sync={} slot={} delay_ms={} reason=\"waiting for a free run "
               "slot\" run_slots={} others_delayed={} others_max_delay_ms={}",
               sync, slot, delay.count(), run_slots, not_logged_, not_logged_max_ms_);
  logged_ = true;
  last_line_ = now;
  not_logged_ = 0;
  not_logged_max_ms_ = 0;
  return true;
}

}  // namespace backflow
