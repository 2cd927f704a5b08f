// Iterable users: profiles through /api/users/bulkUpdate, static list membership through
// /api/lists/subscribe and /api/lists/unsubscribe for audience mode.
#pragma once

#include <cstdint>
#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Upserts users by the key (their `email`, or their `userId` with `key_field: userId`), the
/// mapped fields as `dataFields`, 1,000 users per bulkUpdate request by default. Audience mode
/// makes the rows the members of static list `list_id`: subscribed (with their dataFields) while
/// their row is in the model, unsubscribed once it left. Every answer is a 200 naming the users
/// that failed (`failedUpdates`, and the deprecated `invalidEmails`/`invalidUserIds`): those are
/// rejected with Iterable's reason, the others delivered. Mirror mode deletes the users whose rows
/// left the model, one `DELETE /api/users/{email}` (or `byUserId/{userId}`) each.
class iterable_destination final : public destination {
 public:
  explicit iterable_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override;
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

 private:
  /// The outcome per record of a 2xx answer's body (`unsubscribing`: removals from the list).
  [[nodiscard]] batch_verdict per_user(const delivery_batch& batch, const nlohmann::json& body,
                                       bool unsubscribing) const;

  std::string endpoint_;
  std::string api_key_;
  bool by_user_id_;         ///< the key is the user's userId, not their email
  bool merge_nested_;       ///< mergeNestedObjects on every user
  bool audience_;           ///< lists/subscribe and unsubscribe instead of bulkUpdate
  int64_t list_id_;
  bool existing_only_;      ///< updateExistingUsersOnly on subscribe
  size_t batch_size_;
  double per_second_;
};

}  // namespace backflow
