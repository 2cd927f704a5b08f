// The oracle's emulators: one backflow-emulator per kind for the whole test process (sessions
// reset it), started with request bodies kept in its request log.
#pragma once

#include "tests/oracle/profiles.hpp"
#include "tests/support/emulator_process.hpp"

namespace backflow::oracle {

/// The running emulator `destination` writes to, started on first use.
testing::emulator_process& emulator_for(const profile& destination);

}  // namespace backflow::oracle
