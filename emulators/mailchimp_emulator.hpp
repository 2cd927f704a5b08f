// The Mailchimp Marketing API emulator: audience members by batch subscribe or update.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// `POST /3.0/lists/{list_id}` with `{"members":[{email_address, status, merge_fields, …}],
/// "update_existing":bool}` (≤ 500): 200 with `new_members`, `updated_members` (each with `id`,
/// the MD5 of the lowercased email) and `errors` (`email_address`, `error`, `error_code`), and
/// the totals. Auth: Basic with any user name and the API key as password. An unknown list is
/// 404; more than `concurrent` requests at once are 429 (Mailchimp's 10 connections).
class mailchimp_emulator final : public emulator {
 public:
  static constexpr const char* default_key = "emulator-key-us1";
  static constexpr const char* default_list = "emulator-list";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  mailchimp_emulator(std::string key, std::set<std::string> lists);

  [[nodiscard]] std::string name() const override { return "mailchimp"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  struct member {
    std::string id;
    std::string list;
    std::string email;
    std::string status;
    nlohmann::json fields = nlohmann::json::object();
    int creations = 0;
    int updates = 0;
  };

  [[nodiscard]] bool authorized(const httplib::Request& req) const;
  void batch(const std::string& list, const httplib::Request& req, api_response& out);

  std::string key_;
  std::set<std::string> lists_;
  std::atomic<std::int64_t> in_flight_{0};
  mutable std::mutex mutex_;  ///< guards members_
  std::map<std::string, member> members_;  ///< by list + "/" + lowercased email
};

}  // namespace backflow::emulators
