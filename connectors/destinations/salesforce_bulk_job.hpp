// A Salesforce Bulk API 2.0 ingest job over one batch: create, upload CSV, close, poll, results.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

#include "connectors/destinations/salesforce.hpp"
#include "pipelines/delivery/delivery_job.hpp"

namespace backflow {


/// Open → upload → UploadComplete → poll (backoff) → JobComplete | Failed | Aborted → read
/// successfulResults/, failedResults/ and unprocessedrecords/ to give every record its outcome.
/// The checkpoint is the job id once the upload is complete: a resumed job polls, never
/// uploads again.
class salesforce_bulk_job final : public delivery_job {
 public:
  salesforce_bulk_job(const salesforce_destination& dest, const delivery_batch& batch,
                      std::string resumed_job_id, std::chrono::milliseconds poll_initial,
                      std::chrono::milliseconds poll_max);

  job_step start() override;
  job_step next(const http_response& response) override;
  void resending() override { repeated_ = true; }
  [[nodiscard]] std::string checkpoint() const override;

 private:
  enum class phase { create, upload, close, poll, successes, failures, unprocessed };

  [[nodiscard]] http_request request(const std::string& method, const std::string& path,
                                     std::string body = {},
                                     const std::string& content_type = "application/json") const;
  [[nodiscard]] std::string upload_csv() const;
  job_step poll(std::chrono::milliseconds after);
  job_step fetch(phase p);
  /// Reads one results CSV into outcomes; false when it does not parse.
  bool read_results(const std::string& csv, phase p);
  job_step finish();

  job_step remember(job_step step);

  salesforce_destination dest_;  ///< a copy: a job may outlive the run's connector object
  http_request last_;  ///< the request in progress, repeated when Salesforce says to wait
  /// The request in progress was sent again after an answer was lost: an earlier copy may have
  /// been applied (an upload Salesforce already holds, a job already closed).
  bool repeated_ = false;
  delivery_batch batch_;  ///< a copy: the job outlives moves of the work item that holds it
  bool remove_;
  std::string job_id_;
  bool closed_ = false;
  phase phase_ = phase::create;
  std::chrono::milliseconds poll_initial_;
  std::chrono::milliseconds poll_max_;
  std::chrono::milliseconds poll_delay_{0};
  std::string job_error_;  ///< errorMessage of a Failed job
  std::unordered_map<std::string, size_t> index_;  ///< CSV key column value → record position
  std::vector<record_outcome> outcomes_;
  std::vector<bool> known_;  ///< which records a results file mentioned
};

}  // namespace backflow
