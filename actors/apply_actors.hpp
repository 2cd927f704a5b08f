// The apply pipeline's actors: read the change set, map, batch, rate-limit, deliver, commit.
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <unordered_set>

#include "actors/change_routing.hpp"
#include "actors/messages.hpp"
#include "actors/run_progress.hpp"
#include "pipelines/delivery/destination.hpp"
#include "pipelines/delivery/http_client.hpp"
#include "pipelines/delivery/retry_policy.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// Keys the change reader leaves out (they belong to jobs being resumed).
using key_set = std::unordered_set<std::string>;

/// Reads the change set in key order, `batch_size` entries per batch, on its own thread.
change_reader_actor spawn_change_reader(caf::actor_system& sys,
                                        std::shared_ptr<state::sync_state> st, map_actor downstream,
                                        uint32_t window, size_t batch_size,
                                        std::shared_ptr<const key_set> skip);

/// Turns changes into records to send in this pass; settles locally what the mode does not
/// send and what the mapping refused when planned (rejected with the column and value named).
map_actor spawn_map(caf::actor_system& sys, route_context settings, batch_actor downstream,
                    uint32_t window, commit_actor commit);

/// Records of each op the run expects to send (op as an integer), for job sizing and for the
/// sequence/last/total a batch carries.
using op_counts = std::map<int, uint64_t>;

/// Groups records into requests of the destination's batch size (or into jobs, when the
/// destination asks for them at this volume). Batch ids are `nonce`-<n>: the nonce is random
/// per pass over a change set, so no two distinct deliveries ever share an id.
batch_actor spawn_batcher(caf::actor_system& sys, std::shared_ptr<const destination> dest,
                          deliver_actor downstream, uint32_t window, std::string nonce,
                          op_counts expected);

struct deliver_settings {
  std::shared_ptr<const destination> dest;
  std::shared_ptr<http_client> http;
  rate_limiter_actor rate_limiter;
  commit_actor commit;
  std::string account;
  std::string sync;     ///< the sync and run, named on every log line
  uint64_t run_id = 0;
  rate_limit_spec limits;  ///< the account's limits (for the quota day the calls count toward)
  int concurrency = 4;
  retry_policy retry;
  /// Longer waits asked for by the destination stop the run (the account stays paused).
  std::chrono::milliseconds max_pause{300'000};
  /// The longest pause a destination's answer may impose; longer asks are cut to it.
  std::chrono::milliseconds max_wait{std::chrono::hours(1)};
  /// The change set may hold creates sent before a crash: look each insert batch up first.
  bool verify_inserts = false;
  caf::actor coordinator;  ///< receives the apply_report
  std::shared_ptr<run_progress> progress;
};

/// The delivery layer: concurrency, tokens, retries with backoff, splitting, outcomes.
deliver_actor spawn_deliver(caf::actor_system& sys, deliver_settings settings);

/// Owns the LMDB write transaction for settled records; runs on its own thread and counts
/// every settlement into `progress` (the run's source of truth for outcome counts).
commit_actor spawn_commit(caf::actor_system& sys, std::shared_ptr<state::state_dir> dir,
                          std::shared_ptr<state::sync_state> st, uint64_t run_id,
                          std::shared_ptr<run_progress> progress);

/// Token buckets and daily quotas per destination account.
rate_limiter_actor spawn_rate_limiter(caf::actor_system& sys);

}  // namespace backflow
