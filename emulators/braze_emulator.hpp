// The Braze REST API emulator: /users/track attributes by external_id and /users/delete.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// Braze users in memory. `POST /users/track` sets (null: removes) the custom attributes of each
/// `attributes` object's user, named by `external_id`; a bad object gets a minor error
/// `{"type","input_array","index"}` in a 201 `{"message":"success"}` while the others apply,
/// and a request without one good object is a 400. `POST /users/delete` removes users by
/// `external_ids` (50 at most). `POST /users/export/ids` answers 201 `{"users":[...],
/// "invalid_user_ids":[...]}` for ≤ 50 external_ids, standard fields by name and the others
/// under `custom_attributes`. Bearer REST API key; /users/track limited per rolling 3 s with
/// `X-RateLimit-Limit/Remaining/Reset` (epoch seconds) on every answer and 429 beyond.
/// Extra control endpoint: GET|POST|DELETE /__emulator/rules, e.g.
/// `{"reject_if":{"field":"tier","contains":"invalid"}}` gives such objects a minor error.
class braze_emulator final : public emulator {
 public:
  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  explicit braze_emulator(std::string api_key);

  [[nodiscard]] std::string name() const override { return "braze"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;
  /// Edits (null removes an attribute) or deletes a user by external_id (braze_export.cpp).
  int edit_record(const nlohmann::json& edit, std::string& error) override;

 private:
  struct user {
    nlohmann::json attributes = nlohmann::json::object();
    bool deleted = false;
    std::int64_t creations = 0;
    std::int64_t updates = 0;
  };
  struct reject_rule {
    std::string field;
    std::string contains;
  };

  /// Admits a /users/track request under `limit` per rolling 3 s; sets the X-RateLimit headers.
  bool admit(std::int64_t limit, api_response& out);
  void track(const nlohmann::json& body, const limits& current, api_response& out);
  void remove(const nlohmann::json& body, api_response& out);
  /// POST /users/export/ids: ≤ 50 external_ids, `fields_to_export` (braze_export.cpp).
  void export_ids(const nlohmann::json& body, api_response& out);
  /// The minor error of one attributes object, or "" when it is good. Needs mutex_.
  [[nodiscard]] std::string problem_of(const nlohmann::json& object) const;

  std::string api_key_;
  std::mutex rate_mutex_;
  std::deque<std::chrono::system_clock::time_point> admitted_;  ///< within the last 3 s
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, user> users_;
  std::vector<reject_rule> rules_;
};

}  // namespace backflow::emulators
