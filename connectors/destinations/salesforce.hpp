// Salesforce: sObject Collections upsert and delete, and Bulk API 2.0 jobs for large change sets.
#pragma once

#include <chrono>
#include <string>

#include "connectors/destinations/registry.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// Upserts by an external id field, 200 records per request (allOrNone false), reading the
/// per-record results in order; above `bulk_threshold` records, Bulk API 2.0 ingest jobs. Mirror
/// deletes use the Salesforce ids kept from earlier results.
class salesforce_destination final : public destination {
 public:
  explicit salesforce_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> resume_job(const delivery_batch& batch,
                                                         const std::string& checkpoint) const override;

  // Drift checks (salesforce_read_back.cpp): sObject Collections retrieve by the kept ids.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;

  /// What a Salesforce error answer (a JSON array of {errorCode, message}) means for a batch.
  [[nodiscard]] batch_verdict classify_error(const http_response& response, size_t batch_size) const;

  /// "https://x.my.salesforce.com/services/data/v59.0" — every API path starts here.
  [[nodiscard]] const std::string& api_base() const { return api_base_; }
  [[nodiscard]] const std::string& token() const { return token_; }
  [[nodiscard]] const std::string& object() const { return object_; }
  [[nodiscard]] const std::string& external_id_field() const { return external_id_field_; }

 private:
  std::string instance_url_;
  std::string api_base_;
  std::string token_;
  std::string object_;
  std::string external_id_field_;
  size_t batch_size_;
  uint64_t bulk_threshold_;
  size_t bulk_job_size_;
  std::chrono::milliseconds poll_initial_;
  std::chrono::milliseconds poll_max_;
  std::chrono::milliseconds limit_pause_;
  int64_t daily_;
  double budget_;
};

/// A Salesforce record value as Bulk API CSV text ("#N/A" sets null): numbers exact (decimals
/// digit for digit, reals shortest), booleans true/false, bytes as base64.
std::string salesforce_csv_value(const cell& c);

}  // namespace backflow
