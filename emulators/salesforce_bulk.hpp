// Salesforce Bulk API 2.0 ingest jobs: the job state machine, CSV uploads and CSV results.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulators/salesforce_store.hpp"
#include "pipelines/core/csv.hpp"

namespace backflow::emulators {

/// An answer of the Bulk API: JSON (JobInfo or an error array) or CSV results.
struct sf_bulk_reply {
  int status = 200;
  std::string body;  ///< empty for no body
  bool csv = false;  ///< body is text/csv
};

/// The ingest jobs of one emulator. A job goes
///
///   Open ──PUT batches──► Open ──PATCH UploadComplete──► UploadComplete ──► InProgress ──►
///   JobComplete | Failed          (PATCH Aborted from any state before JobComplete)
///
/// where the last steps are driven by time: UploadComplete for the first half of the job's
/// delay, InProgress for the second, then the upload is parsed and applied to the store in one
/// go, the first time anyone looks (an API call or /__emulator/records|jobs).
class salesforce_bulk {
 public:
  using clock = std::chrono::steady_clock;

  explicit salesforce_bulk(salesforce_store& store) : store_(store) {}

  /// POST jobs/ingest: creates an Open job; `version` is the URL's "vNN.N".
  sf_bulk_reply create(const std::string& body, const std::string& version);
  /// PUT jobs/ingest/<id>/batches: stores the job's one CSV upload.
  sf_bulk_reply upload(const std::string& id, std::string body);
  /// PATCH jobs/ingest/<id>: {"state":"UploadComplete"|"Aborted"}; `delay_ms` is the
  /// processing time a closed job takes.
  sf_bulk_reply patch(const std::string& id, const std::string& body, std::int64_t delay_ms);
  /// GET jobs/ingest/<id>: the job's JobInfo with counts.
  sf_bulk_reply get(const std::string& id);
  /// GET jobs/ingest: every job not deleted.
  sf_bulk_reply list();
  /// DELETE jobs/ingest/<id>: forgets a closed job (204).
  sf_bulk_reply remove(const std::string& id);
  /// GET jobs/ingest/<id>/{successfulResults|failedResults|unprocessedrecords}.
  sf_bulk_reply results(const std::string& id, const std::string& kind);

  /// Applies the jobs whose processing time is over.
  void advance();
  /// All jobs, deleted ones too, with counts and result fetches, for GET /__emulator/jobs.
  nlohmann::json jobs_json();
  void clear();

 private:
  enum class phase { open, closed, complete, failed, aborted };

  struct job {
    std::string id;
    std::string object;
    std::string operation;  ///< as sent: insert, update, upsert, delete, hardDelete
    std::string ext_field;
    std::string line_ending = "LF";
    std::string delimiter = "COMMA";
    std::string version;  ///< "59.0"
    std::int64_t created_ms = 0;
    std::int64_t modified_ms = 0;
    phase state = phase::open;
    bool uploaded = false;
    std::string upload;
    clock::time_point closed_at;
    std::int64_t delay_ms = 0;
    std::int64_t processing_ms = 0;
    std::string error_message;
    std::vector<csv_row> rows;              ///< the parsed upload, header first (once processed)
    std::vector<sf_write_result> outcomes;  ///< one per data row, once complete
    std::int64_t failed = 0;
    std::map<std::string, int> fetched;  ///< result kind → times fetched
    bool deleted = false;
  };

  job* find(const std::string& id);
  [[nodiscard]] std::string state_name(const job& j, clock::time_point now) const;
  [[nodiscard]] nlohmann::json info(const job& j, bool detail, clock::time_point now) const;
  void advance_locked(clock::time_point now);
  void process(job& j);
  void fail(job& j, const std::string& message);

  salesforce_store& store_;
  std::mutex mutex_;
  std::map<std::string, job> jobs_;  ///< by id (ids sort in creation order)
  std::uint64_t next_job_ = 1;
};

}  // namespace backflow::emulators
