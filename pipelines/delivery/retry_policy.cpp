// Exponential backoff with full jitter (see retry_policy.hpp).
#include "pipelines/delivery/retry_policy.hpp"

#include <algorithm>

namespace backflow {

std::chrono::milliseconds retry_policy::delay(int attempt, std::chrono::milliseconds server_wait,
                                              std::mt19937_64& rng) const {
  using std::chrono::milliseconds;
  if (server_wait.count() > 0) {
    std::uniform_int_distribution<long long> jitter(0, server_wait.count() / 10);
    return server_wait + milliseconds(jitter(rng));
  }
  long long ceiling = initial.count();
  for (int i = 1; i < attempt && ceiling < max.count(); ++i)
    ceiling *= 2;
  ceiling = std::min<long long>(ceiling, max.count());
  std::uniform_int_distribution<long long> pick(0, std::max<long long>(ceiling, 0));
  return milliseconds(pick(rng));
}

}  // namespace backflow
