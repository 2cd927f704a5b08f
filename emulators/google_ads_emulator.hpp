// The Google Ads API emulator for Customer Match: OAuth refresh-token grants, offline user data
// jobs (create, addOperations with partial failure, run) and their long-running operations.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// `POST /token` (grant_type=refresh_token with the client id, secret and refresh token; tokens
/// expire after --token-ttl), then under `/vN/`: `customers/{cid}/offlineUserDataJobs:create`
/// (CUSTOMER_MATCH_USER_LIST), `.../offlineUserDataJobs/{id}:addOperations` (create and remove
/// operations; a hash that is not 64 lowercase hex digits fails its operation, named in
/// `partialFailureError`), `.../offlineUserDataJobs/{id}:run` (answers the job's operation) and
/// `GET /vN/customers/{cid}/operations/{id}` (done once `bulk_delay_ms` passed since the run;
/// then the members are applied). Every API call needs `Authorization: Bearer` (401
/// UNAUTHENTICATED) and the `developer-token` header (403 PERMISSION_DENIED), then passes
/// `per_minute` (429 RESOURCE_EXHAUSTED with a retryDelay); operations added past `daily` are
/// refused the same way (Basic access's daily operations).
/// Extra control endpoint: GET|POST /__emulator/google_ads, `{"expire_tokens":true}` expires
/// every token now; both answer `{"tokens_issued","jobs","resource_exhausted"}`.
class google_ads_emulator final : public emulator {
 public:
  struct credentials {
    std::string client_id, client_secret, refresh_token, developer_token;
  };

  static emulator_type type();

  google_ads_emulator(credentials creds, std::chrono::seconds token_ttl);

  [[nodiscard]] std::string name() const override { return "google_ads"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  using clock = std::chrono::steady_clock;
  struct job {
    std::string customer;
    std::string user_list;  ///< its id
    std::string status = "PENDING";  ///< PENDING, RUNNING, SUCCESS
    std::vector<std::pair<bool, std::string>> operations;  ///< (create?, member identity)
    std::string operation;  ///< the run's operation name
    clock::time_point done_at;
  };

  api_response token(const httplib::Request& req);
  /// The answer refusing a call (auth, developer token, rate), or status 0.
  api_response admit(const httplib::Request& req, const limits& current);
  api_response create(const std::string& customer, const nlohmann::json& body);
  api_response add(const std::string& job_name, const nlohmann::json& body, const limits& current);
  api_response run(const std::string& job_name, const limits& current);
  api_response operation(const std::string& name);
  /// The operation's JSON, applying the job's members once it is done (lock held).
  nlohmann::json operation_json(job& j);

  credentials creds_;
  std::chrono::seconds token_ttl_;
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, clock::time_point> tokens_;  ///< token → expiry
  std::int64_t tokens_issued_ = 0;
  std::int64_t resource_exhausted_ = 0;
  std::int64_t operations_today_ = 0;  ///< operations added since start or reset (`daily`)
  rate_window per_minute_{std::chrono::minutes(1)};
  std::map<std::string, job> jobs_;                   ///< by resource name
  std::map<std::string, std::string> operations_;     ///< operation name → job resource name
  /// user list id → member identity ({"hashedEmail":...} as text) → member now?
  std::map<std::string, std::map<std::string, bool>> lists_;
  std::int64_t next_id_ = 7001;
};

}  // namespace backflow::emulators
