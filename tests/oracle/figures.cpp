// The oracle's figures (see figures.hpp).
#include "tests/oracle/figures.hpp"

namespace backflow::oracle {

std::string figures::summary() const {
  int fault_total = 0;
  std::string by_kind;
  for (const auto& [kind, n] : faults) {
    fault_total += n;
    by_kind += (by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  }
  std::string out =
      "sequences " + std::to_string(sequences) + " (" + std::to_string(failed_sequences) +
      " with a mismatch), steps " + std::to_string(steps) + ", runs " + std::to_string(runs) +
      ", comparisons " + std::to_string(comparisons) + "\n  faults injected " +
      std::to_string(fault_total) + (by_kind.empty() ? "" : " (" + by_kind + ")") + "\n  kills " +
      std::to_string(kills) + ", mismatches " + std::to_string(mismatches);
  if (log_overflows > 0)
    out += ", request-log overflows " + std::to_string(log_overflows);
  return out;
}

figures& totals() {
  static figures f;
  return f;
}

}  // namespace backflow::oracle
