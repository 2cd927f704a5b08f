// The oracle's emulators (see emulator_pool.hpp).
#include "tests/oracle/emulator_pool.hpp"

#include <map>
#include <memory>

namespace backflow::oracle {

testing::emulator_process& emulator_for(const profile& destination) {
  static std::map<std::string, std::unique_ptr<testing::emulator_process>> running;
  auto& slot = running[destination.emulator];
  if (!slot)
    slot = std::make_unique<testing::emulator_process>(destination.emulator,
                                                       destination.emulator_args());
  return *slot;
}

}  // namespace backflow::oracle
