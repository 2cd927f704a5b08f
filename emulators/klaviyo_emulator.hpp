// The Klaviyo API emulator: profiles through Bulk Import Profiles jobs, and list membership.
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

/// `POST /api/profile-bulk-import-jobs` (JSON:API, ≤ 10,000 profiles, ≤ 5 MB: 400 / 413) answers
/// 202 with a `profile-bulk-import-job`; `GET .../{id}` shows it queued, then processing, then
/// complete once `bulk_delay_ms` passed (0: complete when submitted), with `failed_count`;
/// `GET .../{id}/import-errors` pages (20, `links.next`) one error per profile refused (an email
/// or phone number Klaviyo would not take, no identifier), naming it by `original_payload` and
/// `source.pointer`; `GET .../{id}/profiles` pages (≤ 100) the profiles it imported. A profile
/// is matched by email, then phone_number, then external_id; attributes and properties merge.
/// A job with `relationships.lists` adds its profiles to that list; `GET /api/profiles?filter=
/// any(email,[...])` (or equals, on email, phone_number, external_id, id) finds profiles;
/// `DELETE /api/lists/{id}/relationships/profiles` removes members (any list id exists). Auth:
/// `Authorization: Klaviyo-API-Key KEY` (401), `revision` header required (400). Limits:
/// `per_second` (burst) and `per_minute` (steady) as fixed windows, 429 with Retry-After (the
/// seconds left in the window that is spent). Job ids count up from
/// 1 (`job-000001`), so a test can name the nth job.
class klaviyo_emulator final : public emulator {
 public:
  static constexpr const char* default_key = "pk_emulator";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  explicit klaviyo_emulator(std::string key);

  [[nodiscard]] std::string name() const override { return "klaviyo"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  using clock = std::chrono::steady_clock;

  struct profile {
    std::string id;
    nlohmann::json attributes = nlohmann::json::object();
    int creations = 0;
    int updates = 0;
  };
  struct job {
    std::string id;
    nlohmann::json input;  ///< the profiles' resources as sent
    std::string list_id;
    clock::time_point started;
    clock::time_point due;
    bool done = false;
    nlohmann::json errors = nlohmann::json::array();
    std::vector<std::string> profile_ids;
  };

  /// False (with the 401/400 in `out`) unless the key and revision headers are right.
  bool check_headers(const httplib::Request& req, api_response& out) const;
  /// False (with the 429 in `out`) when the burst or steady window is spent.
  bool admit(const limits& current, api_response& out);
  void submit(const httplib::Request& req, const limits& current, api_response& out);
  void show_job(const std::string& id, const std::string& part, const httplib::Request& req,
                api_response& out);
  /// Get Profiles by `filter` (any/equals on an identifier or id).
  void find_profiles(const httplib::Request& req, api_response& out);
  void remove_members(const std::string& list_id, const httplib::Request& req, api_response& out);
  /// Runs every job whose time has come, in submission order (mutex_ held).
  void run_due(clock::time_point now);
  void run(job& j);
  /// Imports one profile; its import error, or null.
  nlohmann::json import(const nlohmann::json& resource, std::size_t index, job& j);
  [[nodiscard]] nlohmann::json job_json(const job& j, clock::time_point now) const;

  std::string key_;
  /// One of Klaviyo's fixed windows: requests counted since `start`, reset when it ends.
  struct fixed_window {
    clock::time_point start{};
    std::int64_t used = 0;
  };
  std::mutex quota_mutex_;
  fixed_window burst_;   ///< 1 s
  fixed_window steady_;  ///< 1 min
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, profile> profiles_;        ///< by id
  std::map<std::string, std::string> by_email_;    ///< lowercased email → id
  std::map<std::string, std::string> by_phone_;    ///< phone number → id
  std::map<std::string, std::string> by_external_; ///< external id → id
  std::map<std::string, std::map<std::string, bool>> lists_;  ///< list → member id → member
  std::map<std::string, job> jobs_;
  std::deque<std::string> pending_;  ///< ids of jobs not yet run, in submission order
  std::uint64_t next_profile_ = 0;
  std::uint64_t next_job_ = 0;
};

}  // namespace backflow::emulators
