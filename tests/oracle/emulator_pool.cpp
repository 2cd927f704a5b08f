// The oracle's emulators (see emulator_pool.hpp).
#include "tests/oracle/emulator_pool.hpp"

#include <map>
#include <memory>

namespace backflow::oracle {

testing::emulator_process& emulator_for(const profile& destination) {
  // One emulator per kind and arguments: two profiles of one kind (http batched, and http with
  // the key in the URL path) are different servers.
  static std::map<std::string, std::unique_ptr<testing::emulator_process>> running;
  std::string id = destination.emulator;
  for (const auto& arg : destination.emulator_args())
    id += '\0' + arg;
  auto& slot = running[id];
  if (!slot)
    slot = std::make_unique<testing::emulator_process>(destination.emulator,
                                                       destination.emulator_args());
  return *slot;
}

}  // namespace backflow::oracle
