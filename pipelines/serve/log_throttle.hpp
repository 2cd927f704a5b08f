// Lets one log line through per interval and counts what it held back, for the next line to say.
#pragma once

#include <chrono>
#include <cstdint>

namespace backflow {

/// For warnings that thousands of syncs can raise at once (slots delayed at one minute): one line
/// per `every`, the events held back meanwhile counted, with their largest delay, in the next line.
/// Not thread-safe: the scheduler uses it under its lock.
class log_throttle {
 public:
  using clock = std::chrono::steady_clock;

  /// What was held back since the previous line.
  struct held_back {
    uint64_t count = 0;
    int64_t max_delay_ms = 0;
  };

  explicit log_throttle(std::chrono::milliseconds every) : every_(every) {}

  /// Whether an event (of `delay`) may be logged at `now`. When it may, `held` gets what was held
  /// back since the previous line (and the count starts again); when not, the event is counted.
  bool admit(std::chrono::milliseconds delay, held_back& held, clock::time_point now = clock::now()) {
    if (logged_ && now - last_line_ < every_) {
      ++held_.count;
      if (delay.count() > held_.max_delay_ms)
        held_.max_delay_ms = delay.count();
      return false;
    }
    held = held_;
    held_ = {};
    logged_ = true;
    last_line_ = now;
    return true;
  }

 private:
  std::chrono::milliseconds every_;
  bool logged_ = false;
  clock::time_point last_line_{};
  held_back held_;
};

}  // namespace backflow
