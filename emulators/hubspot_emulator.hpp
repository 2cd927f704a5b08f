// The HubSpot CRM v3 emulator: auth, rate limits, batch and read endpoints (contacts, companies).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "emulators/hubspot_links.hpp"
#include "emulators/hubspot_store.hpp"
#include "emulators/rate_window.hpp"

namespace backflow::emulators {

/// Emulates https://api.hubapi.com for private-app tokens (see docs/connectors/hubspot.md):
///   POST /crm/v3/objects/{object}/batch/{upsert|update|create|archive|read}
///   GET  /crm/v3/objects/{object}/{id}[?idProperty=...]
///   POST /crm/v4/associations/{from}/{to}/batch/{associate/default|create|archive|read}
/// where an object is contacts, companies, deals, tickets (or their type ids 0-1, 0-2, 0-3,
/// 0-5) or a custom object added through the control API. Extra control endpoints:
/// GET|POST /__emulator/properties restricts the property names an object accepts and declares
/// number and unique properties; GET|POST /__emulator/objects adds a custom object by name and
/// type id.
class hubspot_emulator final : public emulator {
 public:
  /// The private-app token accepted when none is configured.
  static constexpr const char* default_token = "emulator-token";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  explicit hubspot_emulator(std::string token);

  [[nodiscard]] std::string name() const override { return "hubspot"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  /// hubspot_edit.cpp: match {"email": ...} (any id property) or {"id": HubSpot id}; "set" as
  /// HubSpot stores values (text; null clears); "delete" archives.
  int edit_record(const nlohmann::json& edit, std::string& error) override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  /// What an API path asks for.
  struct route {
    std::string endpoint;  ///< for the request log
    std::string object;
    std::string action;  ///< upsert, update, create, archive, get; "" when unknown
    std::string id;      ///< get: the id in the path
    std::string to;      ///< v4 associations: the other object ("" for v3 routes)
  };

  [[nodiscard]] route parse_route(const httplib::Request& req) const;
  [[nodiscard]] route parse_v4_route(const httplib::Request& req) const;
  [[nodiscard]] std::string canonical(const std::string& object) const;
  void associations(const httplib::Request& req, const route& r, api_response& out);
  void add_object(const httplib::Request& req, httplib::Response& res);
  bool admit(const limits& current, api_response& out);
  void write_batch(const httplib::Request& req, const route& r, api_response& out);
  void get_record(const httplib::Request& req, const route& r, api_response& out);
  void read_batch(const httplib::Request& req, const route& r, api_response& out);
  [[nodiscard]] std::shared_ptr<const property_catalog> catalog(const std::string& object) const;
  void set_catalog(const httplib::Request& req, httplib::Response& res);

  std::string token_;
  hubspot_store store_;
  hubspot_links links_;
  mutable std::mutex objects_mutex_;
  std::map<std::string, std::string> custom_ids_;  ///< custom object type id → name
  std::mutex quota_mutex_;
  rate_window ten_seconds_{std::chrono::seconds(10)};
  std::int64_t daily_used_ = 0;
  mutable std::mutex catalog_mutex_;
  std::map<std::string, std::shared_ptr<const property_catalog>> catalogs_;
};

}  // namespace backflow::emulators
