// What the delivery machine asks its driver to do (effects), and how a delivery ended (report).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "pipelines/delivery/http.hpp"
#include "pipelines/delivery/rate_limit_spec.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow::delivery {

/// How one record's journey ended in this run, as the machine decided it.
struct settled_outcome {
  enum class kind : uint8_t { delivered, rejected };
  kind what = kind::delivered;
  outbound_record record;  ///< the record (its hash is zero when it holds another version)
  std::string dest_id;     ///< delivered: the destination's record id, if it gave one
  std::string reason;      ///< rejected: why

  static settled_outcome delivered(outbound_record rec, std::string dest_id) {
    return {kind::delivered, std::move(rec), std::move(dest_id), {}};
  }
  static settled_outcome rejected(outbound_record rec, std::string reason) {
    return {kind::rejected, std::move(rec), {}, std::move(reason)};
  }
};

/// How delivery ended: the figures the run summary shows.
struct delivery_report {
  uint64_t failed = 0;     ///< records still failing after the last attempt: left for next run
  uint64_t retried = 0;    ///< records sent again after a retryable failure
  uint64_t api_calls = 0;
  uint64_t splits = 0;     ///< batches bisected to isolate bad records
  uint64_t jobs = 0;       ///< asynchronous jobs completed
  int64_t rate_limit_wait_ms = 0;  ///< time spent waiting for rate-limit tokens, summed
  std::string fatal;       ///< why the run stopped early, if it did
  destination_notes notes; ///< destination-specific figures
  /// When the last request that left without an answer (a timeout, a reset) was given up, unix
  /// ms; 0 if none. The destination may still apply such a request later.
  int64_t unanswered_at_ms = 0;
};

// -- effects --------------------------------------------------------------------------------

/// Ask the account's rate limiter for a token; answer with on_token(ticket, ...).
struct acquire_token {
  uint64_t ticket = 0;
  std::chrono::milliseconds max_wait{0};  ///< the longest pause the machine will wait out
};

/// Send `request`; answer with on_response(ticket, ...), a transport error included.
struct send_request {
  uint64_t ticket = 0;
  http_request request;
};

/// Write settled records (and the quota calls and pause to persist with them); answer with
/// on_committed(ticket) or on_commit_failed(ticket, why).
struct settle_records {
  uint64_t ticket = 0;
  std::vector<settled_outcome> records;
  int64_t api_calls = 0;        ///< calls since the last settlement, for the daily quota
  std::string quota_day;        ///< the account's quota day those calls count toward
  std::string finished_job;     ///< checkpoint of a job these records complete (forget it)
  int64_t pause_until_ms = 0;   ///< the account is paused until then (unix ms), 0 if not
};

/// Persist a job's checkpoint before the job goes on; answer as for settle_records.
struct checkpoint_job {
  uint64_t ticket = 0;
  std::string checkpoint;
  std::string batch_id;
  std::vector<std::string> keys;
  std::string replaces;  ///< an earlier checkpoint for the same records, to forget
};

/// Wake the machine after `delay` with on_timer(timer).
struct park_until {
  uint64_t timer = 0;
  std::chrono::milliseconds delay{0};
};

/// Pause every request to the account for `wait` (shared with other syncs).
struct pause_account {
  std::chrono::milliseconds wait{0};
};

/// The account's limits as the vendor announced them.
struct advertise_limits {
  rate_limit_spec limits;
};

/// Calls the vendor says remain today for the account.
struct daily_remaining {
  int64_t remaining = 0;
};

/// One batch from upstream is done with: the upstream may send another.
struct give_credit {
  uint32_t batches = 1;
};

/// Delivery is over; nothing more will be asked.
struct finish {
  delivery_report report;
};

using delivery_effect =
    std::variant<acquire_token, send_request, settle_records, checkpoint_job, park_until,
                 pause_account, advertise_limits, daily_remaining, give_credit, finish>;

/// The effects one event produced, in the order they are to be carried out.
using effects = std::vector<delivery_effect>;

}  // namespace backflow::delivery
