// The Intercom REST API emulator: contacts (search, create, update, archive, delete) and companies.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// Contacts with a unique external_id and a unique email (409 naming the existing id on a
/// duplicate create), `POST /contacts/search` with Intercom's query shape (=, !=, IN with at most
/// 15 values, AND/OR) and cursor pagination,
/// companies upserted by company_id, bearer auth, the Intercom-Version header checked, and the
/// per-10-second limit with X-RateLimit-Limit/Remaining/Reset and 429 rate_limit_exceeded.
class intercom_emulator final : public emulator {
 public:
  static constexpr const char* default_token = "emulator-token";
  static emulator_type type();
  explicit intercom_emulator(std::string token) : token_(std::move(token)) {}

  [[nodiscard]] std::string name() const override { return "intercom"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string&, const httplib::Request&, httplib::Response&) override {
    return false;
  }
  /// Edits (attributes merged as an update would) or archives a contact found by external_id or
  /// email, behind the client's back (intercom_edit.cpp).
  int edit_record(const nlohmann::json& edit, std::string& error) override;

 private:
  struct stored {
    std::string id;
    nlohmann::json fields = nlohmann::json::object();  ///< attributes as last written
    bool archived = false;
    bool deleted = false;
    int creations = 0;
    int writes = 0;
  };
  /// Admits a request under the fixed 10-second window; sets the X-RateLimit headers.
  bool admit(const limits& current, api_response& out);
  void route(const httplib::Request& req, api_response& out);
  void search(const nlohmann::json& body, api_response& out);
  void create_contact(const nlohmann::json& body, api_response& out);
  void get_contact(const std::string& id, api_response& out);
  void update_contact(const std::string& id, const nlohmann::json& body, api_response& out);
  void remove_contact(const std::string& id, bool archive, api_response& out);
  void unarchive_contact(const std::string& id, api_response& out);
  /// Whether contact `c` matches a search query (a field filter, or AND/OR of queries).
  [[nodiscard]] bool matches(const stored& c, const nlohmann::json& query) const;
  void upsert_company(const nlohmann::json& body, api_response& out);
  void delete_company(const std::string& id, api_response& out);
  /// Files (`on`) or unfiles contact `c`'s unique attributes.
  void index(const stored& c, bool on);
  /// The live contact (not deleted) other than `except` holding `field` = `value`.
  stored* holder(const std::string& field, const std::string& value, const std::string& except);

  std::string token_;
  std::mutex quota_mutex_;
  std::int64_t window_start_s_ = 0;
  std::int64_t window_used_ = 0;
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, stored> contacts_;   ///< by Intercom id
  /// Unique attributes of contacts not deleted → their id: "external_id" and "email"
  /// (lowercased), so a create, an update and a search by them take no scan.
  std::map<std::string, std::map<std::string, std::string>> unique_;
  std::map<std::string, stored> companies_;  ///< by company_id
  std::int64_t next_id_ = 1;
};

}  // namespace backflow::emulators
