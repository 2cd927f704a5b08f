// The actor system every Backflow process runs on, configured for a small machine.
#pragma once

#include <memory>

#include <caf/all.hpp>

namespace backflow {

/// An actor system with our message types registered and a scheduler sized to the cores:
/// blocking work (cursors, LMDB commits, HTTP) runs on detached actors and the I/O thread, so the
/// workers only do CPU work and one per core is enough (at least 2).
class actor_runtime {
 public:
  actor_runtime();
  ~actor_runtime();
  actor_runtime(const actor_runtime&) = delete;
  actor_runtime& operator=(const actor_runtime&) = delete;

  caf::actor_system& system() { return *system_; }

 private:
  caf::actor_system_config config_;  ///< must outlive the system, which keeps a reference
  std::unique_ptr<caf::actor_system> system_;
};

}  // namespace backflow
