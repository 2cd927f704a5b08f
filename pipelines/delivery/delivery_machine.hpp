// The delivery policy as a plain state machine: events in (batches, tokens, responses, timers,
// commit acknowledgements, stop), effects out (acquire, send, settle, park, credit, checkpoint).
//
// Concurrency, tokens, retries with backoff and jitter, bisection, per-record settlement,
// lookups before creates, asynchronous jobs and their checkpoints, pauses, quota call and credit
// accounting all live here; the deliver actor only feeds events in and carries effects out.
// No I/O, no threads, no actors: a test drives it with scripted answers, a fixed clock and seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "pipelines/core/run_logger.hpp"
#include "pipelines/delivery/delivery_effects.hpp"
#include "pipelines/delivery/delivery_job.hpp"
#include "pipelines/delivery/destination.hpp"
#include "pipelines/delivery/retry_policy.hpp"

namespace backflow::delivery {

/// Where the machine reads the time: the wall clock for pauses and quota days, a steady one for
/// measuring waits. Tests inject fixed clocks.
struct delivery_clock {
  std::function<std::chrono::system_clock::time_point()> wall;
  std::function<std::chrono::steady_clock::time_point()> steady;

  /// wall_now() (which honours BACKFLOW_FAKE_NOW) and std::chrono::steady_clock.
  static delivery_clock real();
};

/// What the machine is built from.
struct machine_settings {
  std::shared_ptr<const destination> dest;
  int concurrency = 4;  ///< requests in flight or awaiting their commit, at most
  retry_policy retry;
  /// Longer waits asked for by the destination stop the run (the account stays paused).
  std::chrono::milliseconds max_pause{300'000};
  /// The longest pause a destination's answer may impose; longer asks are cut to it.
  std::chrono::milliseconds max_wait{std::chrono::hours(1)};
  /// The change set may hold creates sent before a crash: look each insert batch up first.
  bool verify_inserts = false;
  std::chrono::minutes day_offset{0};  ///< the account's quota day starts at midnight UTC + this
  delivery_clock clock = delivery_clock::real();
  uint64_t seed = std::random_device{}();  ///< for the backoff's jitter
  run_logger log;
};

/// The rate limiter's answer to acquire_token.
struct token_answer {
  bool granted = true;
  std::string reason;       ///< refused: why (e.g. the daily quota is spent)
  int64_t retry_at_ms = 0;  ///< refused: when calls may be made again (unix ms), if known
};

/// A batch (or a part of one) on its way; `origin` is the batch upstream sent.
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
  uint64_t token_generation = 0;  ///< the access token its last request carried
  int token_refusals = 0;         ///< answers that refused its access token
};

/// Delivers batches to one destination. Every event returns the effects it caused, in order;
/// each effect that names a ticket or timer expects the matching event back exactly once.
class delivery_machine {
 public:
  explicit delivery_machine(machine_settings settings);

  /// A batch from upstream; its credit is given back once all its records are done with.
  [[nodiscard]] effects on_batch(delivery_batch batch);
  /// A job submitted before a crash: polled from `checkpoint`, never submitted again. Owes no
  /// credit upstream.
  [[nodiscard]] effects on_resume(delivery_batch batch, const std::string& checkpoint);
  /// Upstream sent its last batch.
  [[nodiscard]] effects on_upstream_done();
  [[nodiscard]] effects on_token(uint64_t ticket, const token_answer& answer);
  /// The answer to send_request `ticket` (status 0 with transport_error when none came).
  [[nodiscard]] effects on_response(uint64_t ticket, const http_response& response);
  [[nodiscard]] effects on_timer(uint64_t timer);
  /// settle_records or checkpoint_job `ticket` was written.
  [[nodiscard]] effects on_committed(uint64_t ticket);
  [[nodiscard]] effects on_commit_failed(uint64_t ticket, const std::string& why);
  /// Stop early: queued work is left for the next run; requests in flight are still read.
  [[nodiscard]] effects on_stop(const std::string& why);

  /// Whether finish was emitted.
  [[nodiscard]] bool finished() const { return reported_; }
  [[nodiscard]] const delivery_report& report() const { return report_; }

 private:
  /// A settlement or checkpoint being written.
  struct pending_commit {
    uint64_t origin = 0;            ///< settlement: the part it finishes
    std::optional<uint64_t> held;   ///< checkpoint: the held item's id...
    std::optional<job_step> step;   ///< ...and the step it runs once written
  };

  effects take();
  /// An empty part of `item`'s batch (same id, fields and origin), to move some records into.
  static work_item part_of(const work_item& item);
  /// Runs a connector's reading of an answer; a connector that throws (a parser bug) stops the
  /// run with the reason instead of taking delivery down. Unacknowledged records stay pending.
  static batch_verdict guarded(const char* what, const std::function<batch_verdict()>& read);
  template <class Effect>
  void emit(Effect e) {
    out_.emplace_back(std::in_place_type<Effect>, std::move(e));
  }

  // delivery_machine.cpp: bookkeeping
  void pump();
  void maybe_finish();
  void part_done(uint64_t origin);
  void stop(const std::string& why);
  uint64_t new_origin();

  // delivery_machine_outcomes.cpp: sending, reading answers, retries, bisection, settlement
  void settle(uint64_t origin, std::vector<settled_outcome> records, std::string finished_job = {});
  void settle_outcomes(work_item item, const std::vector<record_outcome>& outcomes,
                       std::string finished_job = {});
  void retry_later(work_item item, const std::string& reason, std::chrono::milliseconds server_wait,
                   bool pause);
  void handle_verdict(work_item item, batch_verdict verdict, long status);
  void split(work_item item);
  void park(work_item item, std::chrono::milliseconds delay);
  void send(work_item item);
  void read_response(work_item item, const http_response& response);
  void read_rate_signal(const http_response& response);

  // delivery_machine_jobs.cpp: creates of unknown outcome
  void reject_unknown_outcome(work_item item, const std::string& why);
  void read_lookup(work_item item, const http_response& response);

  // delivery_machine_jobs.cpp: asynchronous jobs
  /// Starts `item`'s job while it holds a rate-limit token: true when the job's first step is
  /// a request that may go now (set as item.request, to be sent with that token); false when
  /// the step went its own way (parked, a checkpoint first, settled, failed) or there is no job.
  bool start_job_holding_token(work_item& item);
  void start_job(work_item item);
  void run_step(work_item item, job_step step);
  void save_checkpoint_then(work_item item, job_step step);
  void read_job_response(work_item item, const http_response& response);

  // delivery_machine_tokens.cpp: access tokens from a token endpoint
  /// Whether `item` may be sent now; if not, it waits for a token (fetched if none is coming).
  bool has_token_for(work_item& item);
  void authorize(work_item& item, http_request& request);
  void fetch_token();
  void read_token_response(const http_response& response);
  void token_refused(work_item item, const std::string& reason);
  void abandon_token_waiters();

  /// The destination's access token (destination::build_token_request), shared by all requests.
  struct token_cache {
    bool needed = false;
    std::string value;  ///< empty: none yet, or refused
    std::optional<std::chrono::steady_clock::time_point> expires;  ///< refetch from then on
    uint64_t generation = 0;   ///< tokens fetched so far
    uint64_t fetching = 0;     ///< the token request's ticket while it is in flight
    uint64_t retry_timer = 0;  ///< a timer to ask the token endpoint again after a failure
    int attempt = 0;           ///< failed token requests in a row
    std::vector<work_item> waiting;  ///< items with a rate-limit token, waiting for an access token
  };

  machine_settings s_;
  token_cache token_;
  std::mt19937_64 rng_;
  effects out_;
  std::deque<work_item> ready_;
  std::unordered_map<uint64_t, work_item> acquiring_;  ///< waiting for a rate-limit token
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> asked_;
  std::unordered_map<uint64_t, work_item> in_flight_;  ///< request sent, answer pending
  std::unordered_map<uint64_t, work_item> delayed_;    ///< parked, or held for a checkpoint
  std::unordered_map<uint64_t, pending_commit> commits_;
  std::unordered_map<uint64_t, uint32_t> open_parts_;  ///< origin → parts not finished
  std::unordered_set<uint64_t> external_origins_;      ///< resumed jobs: no credit upstream
  uint64_t next_id_ = 0;
  int64_t unreported_calls_ = 0;  ///< API calls not yet added to the persisted daily quota
  int64_t pause_until_ms_ = 0;    ///< a pause to persist with the next settlement
  bool upstream_done_ = false;
  bool reported_ = false;
  delivery_report report_;
};

/// Whether `batch` creates records (insert mode): those are never re-sent blindly.
bool creates(const delivery_batch& batch);

}  // namespace backflow::delivery
