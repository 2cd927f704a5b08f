// Marketo Engage leads: OAuth client credentials, sync leads (createOrUpdate, updateOnly,
// createOnly) by a lookup field, delete by Marketo id; failures inside HTTP 200 answers.
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Syncs leads through `POST /rest/v1/leads.json` (300 per request) keyed by `lookup_field`, the
/// key's value as that field; deletes with `POST /rest/v1/leads/delete.json` by the Marketo ids
/// kept from sync results. The access token comes from `<identity>/oauth/token` through the
/// delivery layer's token hook; codes 601/602 refresh it, 606/607/615 throttle the account.
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

  std::string endpoint_;
  std::string identity_;
  std::string client_id_;
  std::string client_secret_;
  std::string lookup_field_;
  size_t batch_size_;
  rate_limit_spec limits_;
};

}  // namespace backflow
