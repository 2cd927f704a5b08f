// Waiting for the threads that read sources (see source_retry.hpp).
#include "connectors/sources/source_retry.hpp"

#include <algorithm>
#include <thread>

namespace backflow {

bool pause_unless_stopped(std::chrono::milliseconds wait,
                          const std::function<bool()>& stop_requested) {
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_requested && stop_requested())
      return false;
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(10)));
  }
  return !(stop_requested && stop_requested());
}

}  // namespace backflow
