// The actor system every Backflow process runs on (see runtime.hpp).
#include "actors/runtime.hpp"

#include <algorithm>
#include <thread>

#include "actors/messages.hpp"

namespace backflow {

actor_runtime::actor_runtime() {
  auto cores = std::max(2u, std::thread::hardware_concurrency());
  config_.set("scheduler.max-threads", static_cast<size_t>(cores));
  config_.add_message_types<caf::id_block::backflow>();
  system_ = std::make_unique<caf::actor_system>(config_);
}

actor_runtime::~actor_runtime() {
  system_.reset();  // waits for every actor to finish
}

}  // namespace backflow
