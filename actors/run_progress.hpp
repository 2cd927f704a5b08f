// Live counters of a run, written by actors and read by the progress line.
#pragma once

#include <atomic>
#include <cstdint>

namespace backflow {

/// Monotonic counters; relaxed atomics are enough for a progress display.
struct run_progress {
  std::atomic<uint64_t> extracted{0};
  std::atomic<uint64_t> to_apply{0};  ///< changes in the change set when apply started
  std::atomic<uint64_t> settled{0};   ///< changes whose journey ended (any outcome)
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> skipped{0};   ///< settled without a request (mode does not send it)
  std::atomic<uint64_t> api_calls{0};
  /// The commit actor met a damaged state: the run ends as such, whatever delivery says.
  std::atomic<bool> state_damaged{false};
};

}  // namespace backflow
