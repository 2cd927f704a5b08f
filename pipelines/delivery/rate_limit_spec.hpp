// Rate limits of one destination account, and what a response says about them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace backflow {

/// Requests allowed per rolling window, and per day. Zero means unlimited.
struct rate_limit_spec {
  double requests_per_window = 0;
  std::chrono::milliseconds window{1000};
  int64_t daily = 0;

  [[nodiscard]] bool unlimited() const { return requests_per_window <= 0; }
};

/// What a destination's response headers say about its limits.
struct rate_signal {
  std::optional<std::chrono::milliseconds> pause;  ///< stop sending to the account for this long
  std::optional<int64_t> daily_remaining;
  std::optional<rate_limit_spec> advertised;       ///< the limit the vendor announced
};

}  // namespace backflow
