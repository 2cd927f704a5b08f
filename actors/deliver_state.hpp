// The deliver actor's state and the functions its two source files share (internal header).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "actors/apply_actors.hpp"
#include "pipelines/core/run_logger.hpp"
#include "pipelines/delivery/delivery_job.hpp"

namespace backflow::deliver {

/// A batch (or a part of one) on its way; `origin` is the batch the batcher sent.
struct work_item {
  delivery_batch batch;
  int attempt = 0;  ///< failed sends of the current request so far
  uint64_t origin = 0;
  std::shared_ptr<delivery_job> job;    ///< set for batches delivered as asynchronous jobs
  std::optional<http_request> request;  ///< a job's current request, sent again on retries
  std::string saved_checkpoint;         ///< the job checkpoint already persisted
  /// Creates that may have landed (a timeout after sending, a crash): look them up first.
  bool unsure = false;
  bool looking_up = false;  ///< the request in flight is that lookup
};

struct deliver_state {
  deliver_settings s;
  batch_actor upstream;
  std::deque<work_item> ready;
  std::unordered_map<uint64_t, work_item> acquiring;  ///< waiting for a rate-limit token
  std::unordered_map<uint64_t, work_item> in_flight;  ///< request sent, answer pending
  std::unordered_map<uint64_t, work_item> delayed;    ///< waiting for a retry or a poll
  std::unordered_map<uint64_t, uint32_t> open_parts;  ///< origin → parts not finished
  std::unordered_set<uint64_t> external_origins;      ///< resumed jobs: no credit upstream
  uint64_t next_id = 0;
  uint32_t pending_commits = 0;
  int64_t unreported_calls = 0;  ///< API calls not yet added to the persisted daily quota
  int64_t pause_until_ms = 0;    ///< a pause to persist with the next commit
  bool upstream_done = false;
  bool reported = false;
  apply_report report;
  std::mt19937_64 rng{std::random_device{}()};
  run_logger log;
};

using self_ptr = deliver_actor::stateful_pointer<deliver_state>;

void pump(self_ptr self);
void maybe_finish(self_ptr self);
void part_done(self_ptr self, uint64_t origin);
void stop(self_ptr self, const std::string& why);
/// Hands settled records to the commit actor; the part is done once they are written.
void settle(self_ptr self, uint64_t origin, std::vector<state::settled_record> records,
            std::string finished_job = {});
/// Settles delivered and rejected records and retries the retryable ones.
void settle_outcomes(self_ptr self, work_item item, const std::vector<record_outcome>& outcomes,
                     std::string finished_job = {});
void retry_later(self_ptr self, work_item item, const std::string& reason,
                 std::chrono::milliseconds server_wait, bool pause_account);
void handle_verdict(self_ptr self, work_item item, batch_verdict verdict, long status);
/// The settled form of `rec` (its change kind follows from its op and destination id).
state::settled_record settled_from(const outbound_record& rec, state::settlement how,
                                   std::string dest_id, std::string reason);
/// An empty part of `item`'s batch (same id, fields and origin), to move some records into.
work_item part_of(const work_item& item);

/// Runs a connector's reading of an answer; a connector that throws (a parser bug) stops the
/// run with the reason instead of taking the actor down. Unacknowledged records stay pending.
template <class Read>
batch_verdict guarded(const char* what, Read read) {
  try {
    return read();
  } catch (const std::exception& e) {
    return batch_verdict::whole(batch_verdict::kind::fatal,
                                std::string("the connector failed to read ") + what + ": " + e.what());
  }
}

// -- creates of unknown outcome (deliver_lookup.cpp) ------------------------------------------

/// Whether `batch` creates records (insert mode): those are never re-sent blindly.
bool creates(const delivery_batch& batch);
/// Creates whose earlier attempt may have landed, at a destination that cannot look them up:
/// reported as rejected, never created a second time.
void reject_unknown_outcome(self_ptr self, work_item item, const std::string& why);
/// The answer to a lookup of unsure creates: found ones are delivered, the rest created now.
void on_lookup_response(self_ptr self, work_item item, const http_response& response);
/// Parks `item` until `delay` has passed, then puts it back in the ready queue.
void park(self_ptr self, work_item item, std::chrono::milliseconds delay);

// -- asynchronous jobs (deliver_jobs.cpp) ---------------------------------------------------

/// Creates (or resumes) the item's job and runs its first step.
void start_job(self_ptr self, work_item item);
/// Runs the answer to a job's request through the job and carries out the next step.
void on_job_response(self_ptr self, work_item item, http_response& response);

}  // namespace backflow::deliver
