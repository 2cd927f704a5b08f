// HubSpot CRM v3 objects (contacts, companies, deals, tickets, custom objects): batch
// upsert/update/create/archive, and associations written from model fields.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "connectors/destinations/hubspot_associations.hpp"
#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Upserts by a unique property (`id_property`, default email), the key's value as each input's
/// id; archives with the HubSpot ids kept from upsert results. 100 inputs per request. With
/// `associations`, upserts and updates go as jobs (hubspot_associations.hpp) that link each
/// record to the other records its fields name.
class hubspot_destination final : public destination {
 public:
  explicit hubspot_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override;
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::optional<http_request> build_lookup(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret_lookup(const delivery_batch& batch,
                                               const http_response& response) const override;
  [[nodiscard]] rate_signal read_rate_signal(const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;
  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> resume_job(const delivery_batch& batch,
                                                         const std::string& checkpoint) const override;
  // Drift checks (hubspot_read_back.cpp): batch/read by the id property.
  [[nodiscard]] size_t read_back_size() const override;
  [[nodiscard]] std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const override;
  [[nodiscard]] read_back_answer read_back(const std::vector<read_back_key>& records,
                                           const std::vector<std::string>& fields,
                                           const http_response& response) const override;

 private:
  [[nodiscard]] nlohmann::json properties_of(const delivery_batch& batch,
                                             const outbound_record& r) const;
  [[nodiscard]] std::string id_value(const std::string& key) const;
  [[nodiscard]] batch_verdict read_results(const delivery_batch& batch,
                                           const nlohmann::json& body) const;

  std::string endpoint_;
  std::string token_;
  std::string object_;
  std::string id_property_;
  size_t batch_size_;
  rate_limit_spec limits_;
  std::vector<hubspot_association> associations_;
  std::set<std::string> association_fields_;  ///< fields that name other records, not properties
};

}  // namespace backflow
