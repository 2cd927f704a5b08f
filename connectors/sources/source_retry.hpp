// Waiting and retrying for the threads that read sources: sleeps a stop request cuts short, and
// the delivery layer's backoff around a call that may fail transiently.
#pragma once

#include <chrono>
#include <functional>
#include <random>

#include "pipelines/core/result.hpp"
#include "pipelines/delivery/retry_policy.hpp"

namespace backflow {

/// Sleeps `wait` in short slices; false as soon as `stop_requested` (if set) says to stop.
/// Blocking: for the threads that read sources, never a CAF scheduler thread.
bool pause_unless_stopped(std::chrono::milliseconds wait, const std::function<bool()>& stop_requested);

/// Calls `once` until it succeeds, fails in a way `transient` does not accept, or `policy`'s
/// attempts are spent, waiting the policy's backoff (full jitter) between attempts; stops
/// waiting when `stop_requested` says so. For sources that do not speak through rest_client
/// (ClickHouse's streamed HTTP).
template <class T, class Once, class Transient>
result<T> retry_transient(const retry_policy& policy, Once once, Transient transient,
                          const std::function<bool()>& stop_requested = {}) {
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    result<T> r = once();
    if (r || !transient(r.error()) || attempt >= policy.max_attempts ||
        !pause_unless_stopped(policy.delay(attempt, std::chrono::milliseconds(0), rng),
                              stop_requested))
      return r;
  }
}

}  // namespace backflow
