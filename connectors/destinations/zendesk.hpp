// Zendesk Support users (create_or_update_many jobs) and organizations (create_or_update, one per
// request), both deleted through destroy_many jobs polled to per-record results (see
// docs/connectors/zendesk.md).
#pragma once

#include <chrono>
#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Upserts users by external id (the key), 100 per background job, and reads each job's
/// `results[]` by index; with `object: organizations` upserts one organization per request
/// (`organizations/create_or_update`, answered at once). Mirror deletes by external id through
/// `destroy_many` jobs for both. A job's id is checkpointed once Zendesk accepted it, so a crash
/// polls it again instead of submitting it twice.
class zendesk_destination final : public destination {
 public:
  explicit zendesk_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override {
    return organizations_ && op != delivery_op::remove ? 1 : batch_size_;
  }
  /// The job's submission (used directly only when a batch is not sent as a job).
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  /// Reads a submission answer whose job already completed; anything else is retried.
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> resume_job(const delivery_batch& batch,
                                                         const std::string& checkpoint) const override;

  // Drift checks (zendesk_read_back.cpp): show_many by external id, 100 per request.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;
  /// Emails compare without case (the vendor matches them so).
  [[nodiscard]] read_back_rules read_back_rules_of() const override;

  /// A request to `path` (under /api/v2) with the sync's credentials.
  [[nodiscard]] http_request request(const std::string& method, const std::string& path,
                                     std::string body = {}) const;
  /// What a non-2xx answer means for a batch of `n` records (Zendesk's {error, description}).
  [[nodiscard]] batch_verdict classify_error(const http_response& response, size_t n) const;

  [[nodiscard]] std::chrono::milliseconds poll_initial() const { return poll_initial_; }
  [[nodiscard]] std::chrono::milliseconds poll_max() const { return poll_max_; }
  /// "users" or "organizations": the path under /api/v2 and the bodies' shape.
  [[nodiscard]] const char* object() const { return organizations_ ? "organizations" : "users"; }

 private:
  bool organizations_ = false;
  std::string url_;
  std::string authorization_;  ///< the Authorization header's value
  std::string credential_;     ///< what tells accounts apart (never logged)
  size_t batch_size_;
  std::chrono::milliseconds poll_initial_;
  std::chrono::milliseconds poll_max_;
  double per_minute_;
};

/// The users of `batch` as a create_or_update_many body: `external_id` is the key, mapped
/// fields as given, `user_fields.NAME` mapped fields nested in `user_fields`; numbers exact.
std::string zendesk_users_body(const delivery_batch& batch);

/// Record `i` of `batch` as a create_or_update body, `{"organization":{...}}`: `external_id` is
/// the key, `organization_fields.NAME` mapped fields nested in `organization_fields`.
std::string zendesk_organization_body(const delivery_batch& batch, size_t i);

/// The reason of a 4xx answer in Zendesk's `{error, description, details}` shape, e.g.
/// "Zendesk 422 RecordInvalid: Record validation errors (name DuplicateValue: Name: Acme has
/// already been taken)"; "" when the body is not one.
std::string zendesk_error_reason(int status, const std::string& body);

/// The job a job_status answer describes: its id and status, and (once completed) one outcome
/// per record of `batch` from `results[]` by index; nullopt outcomes when a result is missing.
struct zendesk_job_state {
  std::string id;
  std::string status;   ///< queued, working, completed, failed, killed ("" when unreadable)
  std::string message;
  std::vector<record_outcome> outcomes;  ///< completed: one per record, in batch order
  std::string missing;  ///< completed: why some record has no result ("" when all have one)
};

/// Reads a job_status body for `batch` (removes: a failed delete of a user that is not there is
/// delivered). `sent` maps each position in the request to its record in the batch.
zendesk_job_state read_zendesk_job(const delivery_batch& batch, const std::vector<size_t>& sent,
                                   const std::string& body);

}  // namespace backflow
