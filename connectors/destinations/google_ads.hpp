// Google Ads Customer Match: members added to and removed from a user list through offline user
// data jobs (see docs/connectors/google_ads.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/destinations/registry.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// The identifiers a mapping may name (its `to`), as the API spells them.
enum class google_ads_field { email, phone, first_name, last_name, country_code, postal_code };

/// "hashedEmail" → google_ads_field::email; nullopt for a name Customer Match does not take.
std::optional<google_ads_field> parse_google_ads_field(std::string_view name);
const char* google_ads_field_name(google_ads_field f);

/// A value normalised by Google's Customer Match rules (before hashing): email trimmed and
/// lowercased, periods removed before "@gmail.com"/"@googlemail.com"; phone E.164 ("+" and the
/// digits, an international "00" or leading zeros dropped); first and last names lowercased
/// without punctuation, words separated by one space; country code two uppercase letters;
/// postal code trimmed. "" when nothing is left.
std::string normalize_google_ads_value(google_ads_field f, std::string_view raw);

/// What is sent for one cell: "" for null or empty; email, phone and names SHA-256 hex
/// (lowercase) of the normalised text, or the value itself when it is already 64 hex digits;
/// country and postal code normalised, never hashed.
std::string google_ads_identifier(google_ads_field f, const cell& value);

/// Customer Match through offline user data jobs: create (CUSTOMER_MATCH_USER_LIST) →
/// addOperations (create or remove, enablePartialFailure) → run → poll the long-running
/// operation until done. One job per batch; its resource name is checkpointed once its
/// operations were added, so a crash runs or polls that job instead of uploading again.
/// OAuth refresh-token flow through the delivery layer's token hook; audience mode only.
class google_ads_destination final : public destination {
 public:
  explicit google_ads_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  /// The job's first request (batches always go as jobs).
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  /// RESOURCE_EXHAUSTED's retryDelay pauses the account (job requests too).
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  /// A member's identity: its identifiers as JSON, what removes it later.
  [[nodiscard]] std::optional<std::string> identity(const std::vector<std::string>& field_names,
                                                    std::string_view fields) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  [[nodiscard]] std::optional<http_request> build_token_request() const override;

  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> resume_job(const delivery_batch& batch,
                                                         const std::string& checkpoint) const override;

  /// A request to `path` under the API version ("customers/1/offlineUserDataJobs:create").
  [[nodiscard]] http_request request(const std::string& method, const std::string& path,
                                     std::string body = {}) const;
  /// What a non-2xx answer means ({"error":{code,message,status,details}}): 401 refuses the
  /// access token, RESOURCE_EXHAUSTED waits for its retryDelay.
  [[nodiscard]] batch_verdict classify_error(const http_response& response, size_t n) const;
  /// Each record's identity ({"hashedEmail":...}; "{}" when it has no identifier): adds from
  /// their mapped fields, removes from the identity they were added with.
  [[nodiscard]] std::vector<std::string> identities(const delivery_batch& batch) const;

  [[nodiscard]] const std::string& customer_id() const { return customer_id_; }
  [[nodiscard]] const std::string& user_list_id() const { return user_list_id_; }
  [[nodiscard]] size_t identifiers_per_request() const { return identifiers_per_request_; }
  [[nodiscard]] std::chrono::milliseconds poll_initial() const { return poll_initial_; }
  [[nodiscard]] std::chrono::milliseconds poll_max() const { return poll_max_; }

 private:
  std::string endpoint_;
  std::string api_version_;
  std::string token_url_;
  std::string customer_id_;
  std::string login_customer_id_;
  std::string user_list_id_;
  std::string developer_token_;
  std::string client_id_;
  std::string client_secret_;
  std::string refresh_token_;
  size_t batch_size_;
  size_t identifiers_per_request_;
  std::chrono::milliseconds poll_initial_;
  std::chrono::milliseconds poll_max_;
  double per_minute_;
};

/// The userIdentifiers of one member from its identity JSON text (see identities()).
nlohmann::json google_ads_user_identifiers(const std::string& identity);

}  // namespace backflow
