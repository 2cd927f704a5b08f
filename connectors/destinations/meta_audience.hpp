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

  /// A request's schema, and each record's hashed identifiers under it ("" per unknown value).
  struct identifier_table {
    std::vector<meta_key> schema;
    std::vector<std::vector<std::string>> rows;
  };
  /// Members being added are identified by their mapped fields; members being removed by the
  /// identity they were added with (their destination id), whatever the mapping was then: the
  /// schema of a remove request is the current one plus any key those identities hold.
  [[nodiscard]] identifier_table identifiers(const delivery_batch& batch) const;

 private:
  /// Schema keys in field order (the mapping's `to` names are Meta keys).
  [[nodiscard]] static std::vector<meta_key> schema_of(const std::vector<std::string>& field_names);
  /// The hashed identifier row of mapped `fields`.
  [[nodiscard]] static std::vector<std::string> identifier_row(const std::vector<meta_key>& schema,
                                                               std::string_view fields);
  /// A member's identity: {"EMAIL": "<hash>", ...} for its non-empty identifiers, as JSON text.
  [[nodiscard]] static std::string identity_of(const std::vector<meta_key>& schema,
                                               const std::vector<std::string>& row);

  std::string endpoint_;
  std::string api_version_;
  std::string audience_id_;
  std::string token_;
  size_t batch_size_;
  double per_hour_;
};

}  // namespace backflow
