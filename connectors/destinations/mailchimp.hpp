// Mailchimp Marketing API audience members: batch subscribe or update, by email (see
// docs/connectors/mailchimp.md).
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Adds or updates members of one audience (list) with `POST /3.0/lists/{list_id}`, up to 500
/// per request with `update_existing`, and reads each member's outcome by email from
/// `new_members`, `updated_members` and `errors`. The key is the member's email address; mirror
/// unsubscribes the members whose rows left the model (the same batch endpoint).
class mailchimp_destination final : public destination {
 public:
  explicit mailchimp_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override { return {}; }

 private:
  std::string endpoint_;
  std::string api_key_;
  std::string list_id_;
  std::string status_;
  size_t batch_size_;
};

/// "https://us6.api.mailchimp.com" for an API key ending in "-us6"; "" when the key names no
/// data center.
std::string mailchimp_endpoint_of(const std::string& api_key);

/// The subscriber hash Mailchimp names a member by: the MD5 of the lowercased email, in hex.
std::string mailchimp_subscriber_hash(const std::string& email);

}  // namespace backflow
