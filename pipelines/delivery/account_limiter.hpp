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
///
/// The vendor counts a request when it arrives, the limiter when it lets it go. A request that
/// reaches the vendor a little faster than the one it replaces in the window would still land
/// inside that window and get a 429, so the limiter's window is `window_margin` wider than the
/// vendor's: that much arrival jitter is absorbed, for about as much of the allowed rate.
class account_limiter {
 public:
  using clock = token_bucket::clock;

  /// The share of the window added to absorb jitter between sending and arrival (1.5%: 150 ms
  /// on a 10 s window, 15 ms on a 1 s one).
  static constexpr double window_margin = 0.015;
  /// The first request of a run (after a pause, or after two idle windows) may reach the vendor much later than it was
  /// let go (a new connection, a process still busy reading the model): it counts in the window
  /// as if sent this much later, so the request that replaces it in the vendor's window waits
  /// for it.
  static constexpr std::chrono::milliseconds first_arrival_allowance{100};

  /// Unlimited until configured.
  account_limiter() = default;
  account_limiter(const rate_limit_spec& spec, clock::time_point now);

  /// Takes a slot and returns nullopt, or returns how long until one frees (nothing taken).
  std::optional<clock::duration> try_take(clock::time_point now);

  /// Sends nothing until `until` (a 429 or a usage header said so).
  void pause_until(clock::time_point until);
  /// Lifts a pause.
  void resume() {
    bucket_.resume();
    first_take_ = true;
  }

  [[nodiscard]] const rate_limit_spec& spec() const { return spec_; }

 private:
  rate_limit_spec spec_;
  clock::duration window_{};  ///< the vendor's window plus the margin
  token_bucket bucket_;
  std::deque<clock::time_point> sent_;  ///< the last `limit` sends, oldest first
  bool first_take_ = true;  ///< the next take is the first of a run or after a pause
  clock::time_point last_take_{};
};

}  // namespace backflow
