// Intercom contacts and companies: one record per request (Intercom has no batch upsert).
#pragma once

#include <string>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// What an Intercom request needs: where, with which token and API version, for which object.
struct intercom_settings {
  std::string endpoint;
  std::string token;
  std::string version;   ///< the Intercom-Version header
  std::string object;    ///< contacts or companies
  std::string match_by;  ///< contacts: external_id or email (the key's value)
  bool archive = true;   ///< mirror: archive contacts (true) or delete them

  [[nodiscard]] http_request request(std::string method, const std::string& path,
                                     std::string body = {}) const;
  /// The search for the contact whose match_by attribute is `key`.
  [[nodiscard]] http_request search(const std::string& key) const;
  /// The id of the contact a search answer holds for `key`: "" for none, nullopt when the
  /// answer is not a search result.
  [[nodiscard]] std::optional<std::string> found_in(const http_response& response,
                                                    const std::string& key) const;
  /// Whether mapped field `field` is one of the object's top-level attributes (every other one
  /// is a custom attribute, under `custom_attributes`).
  [[nodiscard]] bool top_level(const std::string& field) const;
  /// The JSON body that creates or updates one record (the key under match_by or company_id).
  [[nodiscard]] nlohmann::json body_of(const delivery_batch& batch, const outbound_record& r) const;
  /// Intercom's own words for a failed answer ("code: message, ..."), or the HTTP failure.
  [[nodiscard]] static std::string reason_of(const http_response& response);
  /// The verdict on an answer that is not a success (4xx rejects one record, 401/403 stop).
  [[nodiscard]] static batch_verdict failure(const http_response& response);
};

/// Contacts are matched by `external_id` (or email) through `POST /contacts/search`, then
/// created or updated, each as a one-record job of the delivery layer (search → create or
/// update; a 409 on create → search → update). Insert mode creates directly (a 409 means the
/// contact exists; a create of unknown outcome is looked up by search first). Companies are
/// upserted by `company_id` with `POST /companies`. Mirror archives (or deletes) contacts and
/// deletes companies.
class intercom_destination final : public destination {
 public:
  explicit intercom_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return 1; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::optional<http_request> build_lookup(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret_lookup(const delivery_batch& batch,
                                               const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override { return limits_; }
  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;

  // Drift checks (intercom_read_back.cpp): contacts by POST /contacts/search with IN, 15 a
  // request; companies cannot read back.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;
  /// Emails compare without case (the vendor matches them so).
  [[nodiscard]] read_back_rules read_back_rules_of() const override;

 private:
  /// The verdicts on the batch's first (only) record.
  [[nodiscard]] batch_verdict interpret_one(const delivery_batch& batch,
                                            const http_response& response) const;
  [[nodiscard]] batch_verdict lookup_one(const delivery_batch& batch,
                                         const http_response& response) const;

  intercom_settings s_;
  rate_limit_spec limits_;
};

/// The contact job (intercom_job.cpp): one record's search, create or update, archive.
std::unique_ptr<delivery_job> make_intercom_contact_job(const intercom_settings& s,
                                                        const delivery_batch& batch);

}  // namespace backflow
