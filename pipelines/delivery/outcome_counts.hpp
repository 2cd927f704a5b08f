// What became of the records a run set out to deliver.
#pragma once

#include <cstdint>

namespace backflow {

/// Record outcomes: what the commit actor wrote for a batch, and the run summary's delivery line.
struct outcome_counts {
  uint64_t delivered = 0;  ///< acknowledged by the destination
  uint64_t rejected = 0;   ///< refused by the destination (or by the mapping when planned)
  uint64_t skipped = 0;    ///< settled without a request (the mode does not send them)
  uint64_t failed = 0;     ///< not settled in this run: left for the next one
  uint64_t retried = 0;    ///< sent again after a retryable failure

  /// Records whose journey ended (any outcome).
  [[nodiscard]] uint64_t settled() const { return delivered + rejected + skipped; }

  outcome_counts& operator+=(const outcome_counts& o) {
    delivered += o.delivered;
    rejected += o.rejected;
    skipped += o.skipped;
    failed += o.failed;
    retried += o.retried;
    return *this;
  }
};

}  // namespace backflow
