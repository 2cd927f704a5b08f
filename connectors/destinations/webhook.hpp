// Generic webhook: JSON batches of upserts and deletes, signed as Standard Webhooks.
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// POSTs `{"sync","run_id","batch_id","records":[{"op","key","fields"}]}` to one URL. The
/// `webhook-id` header is stable across retries of a batch, so receivers can deduplicate.
class webhook_destination final : public destination {
 public:
  explicit webhook_destination(const destination_context& ctx);

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
  std::string secret_;
  std::string sync_name_;
  uint64_t run_id_;
  size_t batch_size_;
  double per_second_;
};

}  // namespace backflow
