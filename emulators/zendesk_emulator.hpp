// The Zendesk Support API emulator: users upserted and deleted through background jobs,
// organizations upserted one per request and deleted through background jobs.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// `POST /api/v2/users/create_or_update_many` (≤ 100 users, matched by external_id, then email)
/// and `DELETE /api/v2/users/destroy_many?external_ids=a,b` answer 200 with a `job_status`;
/// `GET /api/v2/job_statuses/{id}` shows it queued until `bulk_delay_ms` passed, then completed
/// with one result per user in request order (`index`, `id`, `status` Created/Updated/Deleted or
/// Failed with `error` and `details`). With `bulk_delay_ms` 0 the submission's answer is already
/// completed. Auth: Basic `email/token:TOKEN` or `Bearer OAUTH`. Limits: `per_minute` (429 with
/// Retry-After, `X-Rate-Limit` headers) and `max_jobs` queued at once (429 TooManyJobs). Job ids
/// count up from 1 (32 hex digits), so a test can name the nth job.
/// Organizations, kept apart from users: `POST /api/v2/organizations/create_or_update` (one, by
/// external_id, case-insensitive) answers 201 or 200 with the organization at once, 422
/// RecordInvalid when `name` is missing on create or taken by another organization;
/// `DELETE /api/v2/organizations/destroy_many?external_ids=` is a job like the users'.
/// Reads: `GET /api/v2/{users|organizations}/show_many?external_ids=a,b` (≤ 100; deleted records
/// left out); `PATCH /__emulator/records` edits or deletes one by external_id.
class zendesk_emulator final : public emulator {
 public:
  static constexpr const char* default_token = "emulator-token";
  static constexpr const char* default_oauth = "emulator-oauth-token";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  zendesk_emulator(std::string token, std::string oauth);

  [[nodiscard]] std::string name() const override { return "zendesk"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;
  /// Edits or deletes a user or organization by external_id (zendesk_read.cpp).
  int edit_record(const nlohmann::json& edit, std::string& error) override;

 private:
  using clock = std::chrono::steady_clock;

  struct user {
    std::int64_t id = 0;
    std::string external_id;
    nlohmann::json fields = nlohmann::json::object();
    bool deleted = false;
    int creations = 0;
    int updates = 0;
  };
  struct organization {
    std::int64_t id = 0;
    std::string external_id;  ///< as first sent (matched case-insensitively)
    nlohmann::json fields = nlohmann::json::object();
    bool deleted = false;
    int creations = 0;
    int updates = 0;
  };
  struct job {
    std::string id;
    bool remove = false;
    bool organizations = false;
    nlohmann::json input;  ///< users (upsert) or external ids (remove)
    clock::time_point due;
    bool done = false;
    nlohmann::json results = nlohmann::json::array();
  };

  [[nodiscard]] bool authorized(const httplib::Request& req) const;
  /// False (with the 429 in `out`) when the per-minute limit is spent.
  bool admit(const limits& current, api_response& out);
  void submit(const httplib::Request& req, const limits& current, bool remove, bool organizations,
              api_response& out);
  void upsert_organization(const httplib::Request& req, api_response& out);
  /// The live organization other than `except` holding `name` (case-insensitive), or nullptr.
  const organization* named(const std::string& name, const std::string& except) const;
  nlohmann::json destroy_organization(const std::string& external_id, std::size_t index);
  void show_job(const std::string& id, const httplib::Request& req, api_response& out);
  /// GET users/show_many or organizations/show_many by external_ids (zendesk_read.cpp).
  void show_many(const httplib::Request& req, bool organizations, api_response& out);
  /// Runs every job whose time has come, in submission order (mutex_ held).
  void run_due(clock::time_point now);
  void run(job& j);
  nlohmann::json upsert(const nlohmann::json& u, std::size_t index);
  nlohmann::json destroy(const std::string& external_id, std::size_t index);
  [[nodiscard]] nlohmann::json job_json(const job& j, const httplib::Request& req) const;

  std::string token_;
  std::string oauth_;
  std::mutex quota_mutex_;
  rate_window per_minute_{std::chrono::minutes(1)};
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, user> users_;            ///< by external id
  std::map<std::string, std::string> by_email_;  ///< lowercased email → external id
  std::map<std::string, organization> organizations_;  ///< by lowercased external id
  std::map<std::string, job> jobs_;
  std::deque<std::string> pending_;  ///< ids of jobs not yet run, in submission order
  std::int64_t next_user_ = 0;
  std::int64_t next_organization_ = 0;
  std::uint64_t next_job_ = 0;
};

/// The non-empty parts of a comma-separated list (`external_ids=a,,b`: "a", "b").
std::vector<std::string> split_zd_ids(const std::string& list);

}  // namespace backflow::emulators
