// Meta (Facebook) Custom Audiences: add members that joined the model, remove those that left.
#pragma once

#include <string>
#include <vector>

#include "connectors/destinations/meta_identifiers.hpp"
#include "connectors/destinations/registry.hpp"

namespace backflow {

/// POST (add) or DELETE (remove) {audience_id}/users with normalised, SHA-256-hashed
/// identifiers, up to 10,000 rows per request, inside a session per run and op.
class meta_audience_destination final : public destination {
 public:
  explicit meta_audience_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  /// A member's identity: its hashed identifier row as JSON, what removes it later.
  [[nodiscard]] std::optional<std::string> identity(const std::vector<std::string>& field_names,
                                                    std::string_view fields) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  /// The hashed identifier row of one record ("" per unknown value). Members being removed are
  /// identified by the row they were added with, kept as their destination id.
  [[nodiscard]] std::vector<std::string> identifiers(const delivery_batch& batch,
                                                     const outbound_record& record) const;

 private:
  /// Schema keys in field order (the mapping's `to` names are Meta keys).
  [[nodiscard]] static std::vector<meta_key> schema_of(const std::vector<std::string>& field_names);
  /// The hashed identifier row of mapped `fields`.
  [[nodiscard]] static std::vector<std::string> identifier_row(const std::vector<meta_key>& schema,
                                                               std::string_view fields);

  std::string endpoint_;
  std::string api_version_;
  std::string audience_id_;
  std::string token_;
  size_t batch_size_;
  double per_hour_;
};

}  // namespace backflow
