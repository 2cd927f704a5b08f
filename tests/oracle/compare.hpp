// The comparison of what a destination holds with what the model says it must hold, by the rules
// of the sync's mode, and the report of the first differences.
#pragma once

#include <string>
#include <vector>

#include "tests/oracle/expected.hpp"
#include "tests/oracle/history.hpp"
#include "tests/oracle/profiles.hpp"

namespace backflow::oracle {

/// One difference: the record's key, the rule it breaks, what was expected and what is there.
struct mismatch {
  std::string key;
  std::string rule;
  std::string expected;
  std::string actual;
};

/// What to compare after a successful run.
struct comparison {
  const profile& destination;
  const std::string& mode;
  const expected_state& expected;
  const held_state& held;
  const history& past;
};

/// Every difference, model keys first (in key order), then records that should not be there.
std::vector<mismatch> compare(const comparison& c);

/// True when `actual` (nullptr: absent) shows the value `w`.
bool satisfies(const want& w, const nlohmann::json* actual);

/// Lines for a report: up to `limit` mismatches, with the count of the others.
std::string describe(const std::vector<mismatch>& found, std::size_t limit = 6);

}  // namespace backflow::oracle
