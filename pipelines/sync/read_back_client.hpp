// Sends a destination's read-back requests the way deliveries go: through the account's rate
// limiter and the libcurl I/O thread, with the access token and retries of the delivery layer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/delivery/destination.hpp"
#include "pipelines/delivery/http_client.hpp"
#include "state/state_dir.hpp"

namespace backflow {

/// Reads records back from one destination, blocking the calling thread (never a CAF scheduler
/// thread: the CLI's main thread). Each call acquires a token from the shared rate limiter for
/// the destination's account, then sends; retryable answers (408, 429, 5xx, transport failures)
/// are sent again with the sync's backoff, up to `delivery.max_attempts`.
class read_back_client {
 public:
  read_back_client(caf::actor_system& sys, rate_limiter_actor limiter,
                   std::shared_ptr<state::state_dir> dir, const sync_config& cfg,
                   std::shared_ptr<const destination> dest);

  /// The destination's answer for `records`. An answer whose `fatal` is set ends the check.
  read_back_answer read(const std::vector<read_back_key>& records,
                        const std::vector<std::string>& fields);

  /// Requests sent so far (counted against the account's daily quota when saved).
  [[nodiscard]] uint64_t api_calls() const { return api_calls_; }

  /// Adds the calls made to the account's persisted daily usage.
  void save_quota() const;

 private:
  /// One exchange after a limiter token: the response, or nullopt with `error` set.
  std::optional<http_response> send(http_request request, std::string& error);
  /// Fetches an access token when the destination uses one; false with `error` set.
  bool ensure_token(std::string& error);

  caf::actor_system& sys_;
  rate_limiter_actor limiter_;
  std::shared_ptr<state::state_dir> dir_;
  const sync_config& cfg_;
  std::shared_ptr<const destination> dest_;
  std::string account_;
  rate_limit_spec limits_;
  http_client http_;
  std::optional<std::string> token_;
  uint64_t api_calls_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace backflow
