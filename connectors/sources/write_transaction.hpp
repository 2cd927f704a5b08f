// One write-back transaction: begin, each statement, commit; the first failure rolled back and reported.
#pragma once

#include <string>
#include <vector>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Runs `begin` (the engine's BEGIN), `run(s)` for each of `statements`, then COMMIT; `exec`
/// runs one SQL text. The first failing statement is rolled back and its failure returned (a
/// failed ROLLBACK is not: the failure before it says why); a failed COMMIT is rolled back too.
template <class Statement, class Exec, class Run>
status run_in_transaction(const std::string& begin, const std::vector<Statement>& statements,
                          Exec&& exec, Run&& run) {
  if (auto begun = exec(begin); !begun)
    return begun;
  for (const auto& statement : statements)
    if (auto done = run(statement); !done) {
      (void)exec("ROLLBACK");  // the failure above is the one to report
      return done;
    }
  if (auto committed = exec("COMMIT"); !committed) {
    (void)exec("ROLLBACK");
    return committed;
  }
  return {};
}

}  // namespace backflow
