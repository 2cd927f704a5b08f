// Customer.io people through the Track API v2 batch endpoint: identify and delete actions.
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Identifies (creates or updates) people by `id` or `email` (the record's key) and deletes
/// them in mirror mode, both as actions of one `POST /api/v2/batch`; a 207 answer's
/// `errors[].batch_index` rejects only the actions it names. A batch over 500 KB (413) is
/// split. Basic auth with the workspace's site id and Track API key; US or EU region.
class customerio_destination final : public destination {
 public:
  explicit customerio_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] bool mixes_ops() const override { return true; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

 private:
  std::string endpoint_;
  std::string site_id_;
  std::string api_key_;
  std::string identifier_;
  size_t batch_size_;
  double per_second_;
};

}  // namespace backflow
