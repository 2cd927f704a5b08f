// Live counters of a run, written by actors and read by the progress line.
#pragma once

#include <atomic>
#include <cstdint>

#include "pipelines/delivery/outcome_counts.hpp"

namespace backflow {

/// Monotonic counters; relaxed atomics are enough for a progress display. The outcome counters
/// are the run's source of truth: the commit actor adds each batch it wrote.
struct run_progress {
  std::atomic<uint64_t> extracted{0};
  std::atomic<uint64_t> to_apply{0};  ///< changes in the change set when apply started
  std::atomic<uint64_t> settled{0};   ///< changes of that change set whose journey ended
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> skipped{0};   ///< settled without a request (mode does not send it)
  std::atomic<uint64_t> retried{0};   ///< records sent again after a retryable failure
  std::atomic<uint64_t> api_calls{0};
  /// The commit actor met a damaged state: the run ends as such, whatever delivery says.
  std::atomic<bool> state_damaged{false};

  /// Counts outcomes (a committed batch's, or a finished delivery's retries).
  void add(const outcome_counts& o) {
    delivered += o.delivered;
    rejected += o.rejected;
    skipped += o.skipped;
    retried += o.retried;
    settled += o.settled();
  }

  /// The outcomes counted so far (`failed` is what the change set has left: the caller's).
  [[nodiscard]] outcome_counts outcomes() const {
    return {delivered.load(), rejected.load(), skipped.load(), 0, retried.load()};
  }
};

}  // namespace backflow
