// The Salesforce REST emulator: auth, daily API limit, sObject Collections, reads, Bulk API 2.0.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "emulators/salesforce_bulk.hpp"
#include "emulators/salesforce_route.hpp"
#include "emulators/salesforce_store.hpp"

namespace backflow::emulators {

/// Emulates `{instance_url}/services/data/vNN.N/` (see /work/shared/api-contracts.md):
///   PATCH  composite/sobjects/{SObject}/{ExternalIdField}   collections upsert (≤ 200)
///   DELETE composite/sobjects?ids=…&allOrNone=…             collections delete (≤ 200)
///   GET    sobjects/{SObject}/{ExternalIdField}/{value}, sobjects/{SObject}/{Id}
///   POST|GET jobs/ingest, GET|PATCH|DELETE jobs/ingest/{id}, PUT jobs/ingest/{id}/batches,
///   GET    jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}/
///   GET    limits
/// Extra control endpoints: POST|GET /__emulator/fields, POST /__emulator/required,
/// POST /__emulator/lock, GET /__emulator/jobs.
class salesforce_emulator final : public emulator {
 public:
  /// The access token accepted when none is configured.
  static constexpr const char* default_token = "emulator-token";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  explicit salesforce_emulator(std::string token);

  [[nodiscard]] std::string name() const override { return "salesforce"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  /// Written record by record (100k records: a json tree of them is slow); `?object=Contact`.
  [[nodiscard]] std::string records_text(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;
  /// salesforce_retrieve.cpp: match {"<field>": value} (an external id) or {"Id": id}; "set"
  /// fields as JSON values (null clears); "delete" deletes the record.
  int edit_record(const nlohmann::json& edit, std::string& error) override;

 private:
  /// salesforce_retrieve.cpp: sObject Collections retrieve, one entry per id in request order,
  /// null for an id that is not a live record of the object.
  void retrieve(const httplib::Request& req, const sf_route& r, api_response& out);
  bool admit(const limits& current, api_response& out);
  void upsert(const httplib::Request& req, const sf_route& r, api_response& out);
  void remove(const httplib::Request& req, api_response& out);
  void get_record(const sf_route& r, api_response& out);
  void bulk(const httplib::Request& req, const sf_route& r, const limits& current,
            api_response& out);
  void api_limits(const limits& current, api_response& out);
  bool set_rules(const std::string& name, const httplib::Request& req, httplib::Response& res);

  std::string token_;
  mutable salesforce_store store_;
  mutable salesforce_bulk bulk_{store_};
  std::mutex quota_mutex_;
  std::int64_t daily_used_ = 0;
};

}  // namespace backflow::emulators
