// What the test suites know about one destination, in one place: its conformance adapter, its
// oracle profiles and its fault-matrix rows. Each destination fills one in its own file
// (tests/destinations/<name>.cpp); registry.cpp lists them, and every suite iterates the list.
#pragma once

#include <string>
#include <vector>

#include "tests/conformance/destination_adapter.hpp"
#include "tests/faults/fault_table.hpp"
#include "tests/oracle/profiles.hpp"

namespace backflow::testing {

/// One registered destination as the conformance suite, the oracle and the fault matrix see it.
struct test_destination {
  std::string type;                     ///< the destination registry's name (sync file's type)
  destination_adapter conformance;      ///< the conformance scenarios' view
  std::vector<oracle::profile> oracle;  ///< its flavours under the oracle (one or more)
  faults::destination_faults faults;    ///< the fault matrix's view and its own rows
};

/// Every destination the suites cover, in the order they run; a new destination adds one line to
/// registry.cpp.
const std::vector<test_destination>& test_destinations();

/// The entry for `type`, or nullptr.
const test_destination* find_test_destination(const std::string& type);

/// The product's destination registry's names (connectors/destinations/registry.cpp).
std::vector<std::string> registered_destinations();

/// What keeps the suites from covering the product registry: one message per registered
/// destination without an entry here, and per entry of a destination no longer registered.
/// Empty when the two lists match.
std::vector<std::string> registry_gaps(const std::vector<std::string>& registered,
                                       const std::vector<std::string>& covered);

/// The names of test_destinations(), in order.
std::vector<std::string> covered_destinations();

}  // namespace backflow::testing
