// The request gate of one destination account (see account_limiter.hpp).
#include "pipelines/delivery/account_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace backflow {

account_limiter::account_limiter(const rate_limit_spec& spec, clock::time_point now) : spec_(spec) {
  if (spec.unlimited())
    return;
  double window_s = std::max(std::chrono::duration<double>(spec.window).count(), 0.001) *
                    (1 + window_margin);
  window_ = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(window_s));
  double burst = std::max(1.0, std::floor(spec.requests_per_window * 0.05));
  bucket_ = token_bucket(spec.requests_per_window / window_s, burst, now);
}

std::optional<account_limiter::clock::duration> account_limiter::try_take(clock::time_point now) {
  if (!spec_.unlimited()) {
    auto limit = static_cast<size_t>(std::max(1.0, std::floor(spec_.requests_per_window)));
    // Strictly older than a window: a send exactly one window later would share a closed
    // window with the one it replaces.
    while (!sent_.empty() && now - sent_.front() > window_)
      sent_.pop_front();
    if (sent_.size() >= limit)
      return sent_.front() + window_ - now + std::chrono::microseconds(1);
  }
  if (auto wait = bucket_.try_take(now))
    return wait;
  if (!spec_.unlimited())
    sent_.push_back(first_take_ || now - last_take_ > 2 * window_ ? now + first_arrival_allowance
                                                                  : now);
  first_take_ = false;
  last_take_ = now;
  return std::nullopt;
}

void account_limiter::pause_until(clock::time_point until) {
  bucket_.pause_until(until);
  first_take_ = true;
}

}  // namespace backflow
