// A token bucket: a burst, then a steady rate; pausable.
#pragma once

#include <chrono>
#include <optional>


namespace backflow {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// An unlimited bucket.
  token_bucket() = default;
  token_bucket(double tokens_per_second, double burst, clock::time_point now);

  /// Takes a token if one is available at `now` and returns nullopt; otherwise returns how
  /// long until one will be (nothing is taken).
  std::optional<clock::duration> try_take(clock::time_point now);

  /// Sends nothing until `until` (a 429 or a vendor header said so); the bucket restarts empty.
  void pause_until(clock::time_point until);
  /// Lifts a pause (someone says the destination asked wrongly).
  void resume() { paused_until_ = {}; }

  [[nodiscard]] bool unlimited() const { return rate_ <= 0; }
  [[nodiscard]] double rate() const { return rate_; }
  [[nodiscard]] double burst() const { return burst_; }

 private:
  void refill(clock::time_point now);

  double rate_ = 0;  ///< tokens per second; <= 0 means unlimited
  double burst_ = 0;
  double tokens_ = 0;
  clock::time_point last_{};
  clock::time_point paused_until_{};
};

}  // namespace backflow
