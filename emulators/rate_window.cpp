// A rolling-window request counter (see rate_window.hpp).
#include "emulators/rate_window.hpp"

namespace backflow::emulators {

bool rate_window::try_admit(clock::time_point now, std::int64_t limit) {
  if (limit <= 0) {
    admitted_.clear();
    return true;
  }
  expire(now);
  if (static_cast<std::int64_t>(admitted_.size()) >= limit)
    return false;
  admitted_.push_back(now);
  return true;
}

std::int64_t rate_window::used(clock::time_point now) {
  expire(now);
  return static_cast<std::int64_t>(admitted_.size());
}

void rate_window::expire(clock::time_point now) {
  while (!admitted_.empty() && now - admitted_.front() >= window_)
    admitted_.pop_front();
}

}  // namespace backflow::emulators
