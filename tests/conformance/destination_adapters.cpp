// What the conformance scenarios share: the refused row and the emulator's request count.
// The adapters themselves are in tests/destinations/<name>.cpp.
#include "tests/conformance/destination_adapter.hpp"

namespace backflow::testing {

void plant_bad_row(contacts_model& model) {
  model.exec("INSERT INTO " + model.table() + " VALUES ('" + bad_row_key +
             "', 'Broken', 1, 'invalid-tier')");
}

int64_t records_received(emulator_process& emulator) {
  return emulator.requests()["inputs"].get<int64_t>();
}

}  // namespace backflow::testing
