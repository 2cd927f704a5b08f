// The Iterable API emulator: users/bulkUpdate and static list subscribe/unsubscribe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>

#include "emulators/emulator.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// An email-based Iterable project in memory. `POST /api/users/bulkUpdate` sets each user's
/// dataFields (by `email`, or by `userId` with `preferUserId`); `POST /api/lists/subscribe`
/// creates users (unless `updateExistingUsersOnly`) and adds them to a list, with their
/// dataFields; `POST /api/lists/unsubscribe` takes them off it. Every answer is a 200 with
/// `successCount`, `failCount`, the deprecated `invalidEmails`/`invalidUserIds` and
/// `failedUpdates` naming each user that failed (malformed email or userId, conflict,
/// forgotten, invalid data, not found). `DELETE /api/users/{email}` and
/// `/api/users/byUserId/{userId}` delete one user (400 `UnknownEmailError`/`UnknownUserIdError`
/// for none). `Api-Key` header (401 `BadApiKey`); each endpoint
/// limited per rolling second (429 `RateLimitExceeded`); bodies over 4 MB refused.
/// Extra control endpoint: GET|POST|DELETE /__emulator/rules, e.g.
/// `{"reject_if":{"field":"tier","contains":"invalid"}}` (invalidData), `{"conflict":"a@x.io"}`,
/// `{"forgotten":"a@x.io"}`.
class iterable_emulator final : public emulator {
 public:
  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  explicit iterable_emulator(std::string api_key);

  [[nodiscard]] std::string name() const override { return "iterable"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  struct user {
    nlohmann::json data_fields = nlohmann::json::object();
    std::set<std::int64_t> lists;
    std::int64_t creations = 0;
    std::int64_t updates = 0;
    std::int64_t unsubscribes = 0;
    bool deleted = false;  ///< by DELETE /api/users/...: a later update creates it again
  };
  /// What one request did to its users, for the answer.
  struct tally {
    std::int64_t success = 0;
    std::int64_t failed = 0;
    nlohmann::json failures = nlohmann::json::object();  ///< failedUpdates
  };
  enum class action { update, subscribe, unsubscribe };
  /// The user a DELETE names: its users_ key, its id, and the endpoint template for the log.
  struct delete_target {
    std::string key;
    std::string id;
    bool by_user_id = false;
    std::string endpoint;
  };

  /// The user `DELETE /api/users/{email}` or `/api/users/byUserId/{userId}` names (the path
  /// arrives decoded: an email's '/' came as %2F), or nullopt for another path.
  static std::optional<delete_target> delete_target_of(const std::string& path);

  /// Admits a request to `endpoint` under `limit` per rolling second.
  bool admit(const std::string& endpoint, std::int64_t limit);
  /// Checks the API key and the endpoint's rate window; fills `out` with the refusal if not.
  bool authorized(const httplib::Request& req, const std::string& endpoint, const limits& current,
                  api_response& out);
  /// DELETE /api/users/{email} or byUserId/{userId}: 400 Unknown…Error for no such user.
  void remove(const delete_target& target, api_response& out);
  /// Processes every user object of `items` (`list`: for subscribe and unsubscribe). Needs mutex_.
  tally apply(const nlohmann::json& items, action what, std::int64_t list, bool existing_only);
  /// The failedUpdates list an item belongs in (e.g. "invalidEmails"), or "". Needs mutex_.
  [[nodiscard]] std::string failure_of(const nlohmann::json& item, const std::string& id,
                                       bool by_user_id, action what) const;
  void set_fields(user& u, const nlohmann::json& item);

  std::string api_key_;
  std::mutex rate_mutex_;
  std::map<std::string, rate_window> windows_;  ///< per endpoint, one second
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, user> users_;  ///< by "email:<lowercased>" or "userId:<id>"
  std::set<std::string> conflicts_;
  std::set<std::string> forgotten_;
  std::map<std::string, std::string> reject_if_;  ///< field → text that makes it invalid
};

}  // namespace backflow::emulators
