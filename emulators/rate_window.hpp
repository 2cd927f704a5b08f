// A rolling-window request counter, the building block of the emulators' rate limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace backflow::emulators {

/// Counts requests admitted in the last `window`; not thread-safe (its owner holds a lock).
class rate_window {
 public:
  using clock = std::chrono::steady_clock;

  explicit rate_window(clock::duration window) : window_(window) {}

  /// Admits one request at `now` unless `limit` requests were admitted within the window.
  /// A limit of 0 admits everything and keeps no history.
  bool try_admit(clock::time_point now, std::int64_t limit);

  /// Requests admitted within the window ending at `now`.
  [[nodiscard]] std::int64_t used(clock::time_point now);

  void clear() { admitted_.clear(); }

 private:
  void expire(clock::time_point now);

  clock::duration window_;
  std::deque<clock::time_point> admitted_;
};

}  // namespace backflow::emulators
