// The request gate of one destination account: smooth, never over a rolling window, pausable.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "pipelines/delivery/rate_limit_spec.hpp"
#include "pipelines/delivery/token_bucket.hpp"

namespace backflow {

/// A token bucket refilled at the allowed rate smooths bursts; a log of the last `limit` send
/// times guarantees no rolling window ever holds more than `limit` requests (vendors count
/// windows, not buckets). Together they use the whole allowed rate, small limits included.
class account_limiter {
 public:
  using clock = token_bucket::clock;

  /// Unlimited until configured.
  account_limiter() = default;
  account_limiter(const rate_limit_spec& spec, clock::time_point now);

  /// Takes a slot and returns nullopt, or returns how long until one frees (nothing taken).
  std::optional<clock::duration> try_take(clock::time_point now);

  /// Sends nothing until `until` (a 429 or a usage header said so).
  void pause_until(clock::time_point until);

  [[nodiscard]] const rate_limit_spec& spec() const { return spec_; }

 private:
  rate_limit_spec spec_;
  token_bucket bucket_;
  std::deque<clock::time_point> sent_;  ///< the last `limit` sends, oldest first
};

}  // namespace backflow
