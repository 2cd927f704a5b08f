// Rate limits of one destination account, and what a response says about them.
#pragma once

#include <chrono>
#include <algorithm>
#include <cstdint>
#include <optional>

namespace backflow {

/// Requests allowed per rolling window, and per day. Zero means unlimited.
struct rate_limit_spec {
  double requests_per_window = 0;
  std::chrono::milliseconds window{1000};
  int64_t daily = 0;
  double daily_budget = 1.0;              ///< the share of `daily` syncs may use (e.g. 0.8)
  std::chrono::minutes day_offset{0};     ///< the quota day starts at midnight UTC + offset

  [[nodiscard]] bool unlimited() const { return requests_per_window <= 0; }
  /// Calls allowed per day after the budget (0: unlimited).
  [[nodiscard]] int64_t daily_allowance() const {
    return daily <= 0 ? 0 : std::max<int64_t>(1, static_cast<int64_t>(daily * daily_budget));
  }
};

/// What a destination's response headers say about its limits.
struct rate_signal {
  std::optional<std::chrono::milliseconds> pause;  ///< stop sending to the account for this long
  std::optional<int64_t> daily_remaining;
  std::optional<rate_limit_spec> advertised;       ///< the limit the vendor announced
};

}  // namespace backflow
