// Marketo Engage leads: OAuth client credentials, sync leads (createOrUpdate, updateOnly,
// createOnly) by a lookup field, delete by Marketo id, static list membership (audience mode);
// failures inside HTTP 200 answers.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Syncs leads through `POST /rest/v1/leads.json` (300 per request) keyed by `lookup_field`, the
/// key's value as that field; deletes with `POST /rest/v1/leads/delete.json` by the Marketo ids
/// kept from sync results. The access token comes from `<identity>/oauth/token` through the
/// delivery layer's token hook; codes 601/602 refresh it, 606/607/615 throttle the account.
/// Audience mode keeps the model's rows as the members of the static list `list_id`: each batch
/// of additions is a two-request job (sync the leads, which answers their ids, then add the ids
/// to the list), and removals take the ids kept from those syncs out of the list.
class marketo_destination final : public destination {
 public:
  explicit marketo_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  [[nodiscard]] std::optional<http_request> build_lookup(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret_lookup(const delivery_batch& batch,
                                               const http_response& response) const override;
  [[nodiscard]] std::optional<http_request> build_token_request() const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override { return limits_; }
  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;

  // Drift checks (marketo_read_back.cpp): a leads query by lookup field, 300 keys a request;
  // audience mode cannot read back.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;
  /// Emails compare without case (the vendor matches them so).
  [[nodiscard]] read_back_rules read_back_rules_of() const override;

  /// The lead sync request for `batch` (createOrUpdate, updateOnly or createOnly by its op).
  [[nodiscard]] http_request sync_request(const delivery_batch& batch) const;
  /// The list request (audience mode) for these lead ids: POST adds, DELETE removes.
  [[nodiscard]] http_request list_request(const char* method,
                                          const std::vector<std::string>& ids) const;
  /// Reads a list answer (added/removed per lead id; skipped with reasons) into one outcome per
  /// record of `batch` whose lead id is `ids[i]` (empty: not sent, rejected with `unsent`).
  [[nodiscard]] batch_verdict read_list_answer(const delivery_batch& batch,
                                               const std::vector<std::string>& ids,
                                               const http_response& response) const;

 private:
  /// What a `success:false` answer's first error means (a throttle, a token to refresh, ...).
  [[nodiscard]] batch_verdict request_failure(const delivery_batch& batch,
                                              const nlohmann::json& body) const;
  [[nodiscard]] batch_verdict read_results(const delivery_batch& batch,
                                           const nlohmann::json& results) const;
  /// The wait a throttling code asks for (606: the window named in the message; 607: until the
  /// daily quota resets; 615: a second), or 0 for other codes.
  [[nodiscard]] std::chrono::milliseconds throttle_wait(const std::string& code,
                                                        const std::string& message) const;
  /// The answer's body when it is a successful Marketo answer with a result list; otherwise
  /// the verdict it gives (an HTTP failure, `success:false`, an unreadable body).
  [[nodiscard]] std::variant<nlohmann::json, batch_verdict> result_list(
      const delivery_batch& batch, const http_response& response) const;

  std::string endpoint_;
  std::string identity_;
  std::string client_id_;
  std::string client_secret_;
  std::string lookup_field_;
  std::string list_id_;  ///< audience mode's static list (digits), empty in other modes
  size_t batch_size_;
  rate_limit_spec limits_;
};

}  // namespace backflow
