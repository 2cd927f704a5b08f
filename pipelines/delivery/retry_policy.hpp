// Exponential backoff with full jitter, capped, honouring the server's requested wait.
#pragma once

#include <chrono>
#include <random>

namespace backflow {

struct retry_policy {
  int max_attempts = 6;  ///< sends per batch in one run, the first included
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};

  /// Delay before send number `attempt + 1` (attempt >= 1 failed sends so far). A server-given
  /// wait (Retry-After, usage headers) is honoured with up to 10% jitter added; otherwise full
  /// jitter: uniform in [0, min(max, initial * 2^(attempt-1))].
  [[nodiscard]] std::chrono::milliseconds delay(int attempt, std::chrono::milliseconds server_wait,
                                                std::mt19937_64& rng) const;
};

}  // namespace backflow
