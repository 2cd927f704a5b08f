// A token bucket sized for rolling-window limits (see token_bucket.hpp).
#include "pipelines/delivery/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace backflow {

token_bucket::token_bucket(double tokens_per_second, double burst, clock::time_point now)
    : rate_(tokens_per_second), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {}

void token_bucket::refill(clock::time_point now) {
  if (now <= last_)
    return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

std::optional<token_bucket::clock::duration> token_bucket::try_take(clock::time_point now) {
  if (now < paused_until_)
    return paused_until_ - now;
  if (unlimited())
    return std::nullopt;
  refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::nullopt;
  }
  double missing = 1.0 - tokens_;
  auto wait = std::chrono::duration<double>(missing / rate_);
  return std::chrono::duration_cast<clock::duration>(wait) + std::chrono::microseconds(1);
}

void token_bucket::pause_until(clock::time_point until) {
  if (until <= paused_until_)
    return;
  paused_until_ = until;
  tokens_ = 0;
  last_ = until;
}

}  // namespace backflow
