// The oracle's fault injector: which fault a run gets, how it is queued on the emulator, and how
// the run must end under it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "tests/support/emulator_process.hpp"

namespace backflow::oracle {

/// A uniform integer in [low, high] from the oracle's seeded generator.
int between(std::mt19937_64& rng, int low, int high);

enum class fault_kind {
  none,
  burst_short,         ///< 5xx answers fewer than delivery.max_attempts: the run finishes
  burst_long,          ///< 5xx answers beyond max_attempts on one batch: the run ends 4
  apply_then_fail,     ///< the request is applied, then answered 502 or cut: it is resent
  timeout_after_sent,  ///< the answer comes after delivery.request_timeout, the request applied
  auth_401,            ///< credentials refused once: the run stops (4), the next one recovers
  kill9,               ///< SIGKILL once the emulator has answered a request of the run
  state_loss           ///< the state directory is deleted before the run
};

/// The name used in figures and journals.
const char* name_of(fault_kind kind);

/// One fault for one run.
struct fault_plan {
  fault_kind kind = fault_kind::none;
  nlohmann::json spec;  ///< what is posted to /__emulator/faults (null: nothing to queue)
  int delay_ms = 0;     ///< timeout_after_sent: how long the emulator holds the request

  /// The exit codes a run may end with under this fault (besides 0/1 of a normal run).
  [[nodiscard]] bool may_stop() const {
    return kind == fault_kind::burst_long || kind == fault_kind::auth_401;
  }
  [[nodiscard]] std::string describe() const;
};

/// How faults are shaped for a sync: its max_attempts and request timeout.
struct fault_context {
  std::string api_path;
  int max_attempts = 3;
  int request_timeout_ms = 1000;
};

/// A fault of `kind` for the next run.
fault_plan make_fault(fault_kind kind, const fault_context& context, std::mt19937_64& rng);

/// A random fault kind (none most of the time); timeouts are rare (each costs a second).
fault_kind draw_fault(std::mt19937_64& rng);

/// Queues `plan` on the emulator when it has a spec.
void queue_fault(testing::emulator_process& emulator, const fault_plan& plan);

/// After the run: true when the queued fault answered at least one request; clears the queue.
bool settle_fault(testing::emulator_process& emulator, const fault_plan& plan);

}  // namespace backflow::oracle
