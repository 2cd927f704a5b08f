// The oracle's figures: sequences, runs, faults by kind, kills, comparisons, mismatches.
#pragma once

#include <map>
#include <string>

namespace backflow::oracle {

struct figures {
  int sequences = 0;
  int steps = 0;
  int runs = 0;
  int kills = 0;
  int comparisons = 0;
  int mismatches = 0;  ///< reports (a sequence stops at its first)
  int failed_sequences = 0;
  int log_overflows = 0;              ///< request bodies the emulator's log no longer had
  std::map<std::string, int> faults;  ///< by kind: faults that fired

  /// "sequences 40, runs 412, ..." on a few lines.
  [[nodiscard]] std::string summary() const;
};

/// The figures of this test process.
figures& totals();

}  // namespace backflow::oracle
