// Braze users: attributes through /users/track, mirror deletes through /users/delete.
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Sets each user's custom attributes by `external_id` (the record's key), 75 attribute objects
/// per /users/track request; a 2xx answer's `errors[].index` rejects only the items it names.
/// Mirror mode deletes users by external id, 50 per /users/delete request.
class braze_destination final : public destination {
 public:
  explicit braze_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override;
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  // Drift checks (braze_read_back.cpp): /users/export/ids by external id, 50 a request.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;
  /// Emails compare without case (the vendor matches them so).
  [[nodiscard]] read_back_rules read_back_rules_of() const override;

 private:
  std::string endpoint_;
  std::string api_key_;
  size_t batch_size_;
  double per_3s_;
};

}  // namespace backflow
