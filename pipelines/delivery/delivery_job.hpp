// Asynchronous delivery jobs (e.g. Salesforce Bulk API 2.0): a state machine the connector
// defines and the delivery layer drives, one request at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pipelines/delivery/http.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow {

/// What a job wants next.
struct job_step {
  enum class kind : uint8_t {
    send,    ///< send `request` (after `delay`, e.g. when polling)
    done,    ///< finished: `outcomes` holds one outcome per record, in batch order
    failed,  ///< the job as a whole failed: `verdict` says what to do with its records
  };
  kind what = kind::send;
  http_request request;
  std::chrono::milliseconds delay{0};
  std::vector<record_outcome> outcomes;
  batch_verdict verdict;

  static job_step send(http_request r, std::chrono::milliseconds after = {}) {
    job_step s;
    s.request = std::move(r);
    s.delay = after;
    return s;
  }
  static job_step finished(std::vector<record_outcome> outcomes) {
    job_step s;
    s.what = kind::done;
    s.outcomes = std::move(outcomes);
    return s;
  }
  static job_step fail(batch_verdict v) {
    job_step s;
    s.what = kind::failed;
    s.verdict = std::move(v);
    return s;
  }
};

/// One job over one batch. Plain C++: it never sleeps or sends; the delivery layer sends each
/// request (with rate-limit tokens, and retries of transport errors, 408, 429 and 5xx) and hands
/// every other answer to next().
class delivery_job {
 public:
  virtual ~delivery_job() = default;

  /// The first step: creating the job, or (for a resumed job) polling it.
  virtual job_step start() = 0;

  /// The step after `response` answered the previous request.
  virtual job_step next(const http_response& response) = 0;

  /// The delivery layer sends the last request again because its answer was lost or transient
  /// (a timeout after it left, a reset, a 5xx): that request may have been applied already, and
  /// an answer to the repeat that says so is not a failure.
  virtual void resending() {}

  /// What must survive a crash so the job is resumed instead of submitted again (e.g. the job id
  /// once its upload is complete); empty while starting over is harmless.
  [[nodiscard]] virtual std::string checkpoint() const = 0;
};

}  // namespace backflow
