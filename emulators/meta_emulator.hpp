// The Meta Marketing API emulator: Custom Audience users (add, remove), tokens, hourly throttling.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "emulators/meta_audiences.hpp"

namespace backflow::emulators {

/// Emulates https://graph.facebook.com (see /work/shared/api-contracts.md):
///   POST   /vNN.0/{audience_id}/users   adds members
///   DELETE /vNN.0/{audience_id}/users   removes members
///   GET    /vNN.0/{audience_id}         the audience's id and approximate size
/// Extra control endpoints: GET|POST /__emulator/audiences, GET /__emulator/sessions.
class meta_emulator final : public emulator {
 public:
  /// The access token accepted when none is configured.
  static constexpr const char* default_token = "emulator-token";
  /// The audience that exists when none is configured.
  static constexpr const char* default_audience = "23850000000000001";
  /// The ad account audiences belong to unless /__emulator/audiences says otherwise.
  static constexpr const char* default_account = "100000000000001";

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  /// `audiences` exist from the start and after every reset (empty: the default audience).
  meta_emulator(std::string token, std::vector<std::string> audiences);

  [[nodiscard]] std::string name() const override { return "meta"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  /// Written directly (see meta_audiences::records_text); `?audience=ID`, `?members=false`.
  [[nodiscard]] std::string records_text(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  using clock = std::chrono::steady_clock;

  /// What an API path asks for.
  struct route {
    std::string endpoint;  ///< for the request log
    std::string object;    ///< the audience id in the path
    std::string edge;      ///< "users", "" for the object itself, else unknown
  };

  [[nodiscard]] route parse_route(const httplib::Request& req) const;
  /// Counts one call against the account's hourly budget; false (and out answered) when over.
  bool admit(const std::string& account, const limits& current, api_response& out);
  void users(const httplib::Request& req, const meta_envelope& envelope, const route& r,
             api_response& out);
  void create_audience(const httplib::Request& req, httplib::Response& res);

  std::string token_;
  std::vector<std::pair<std::string, std::string>> initial_;  ///< audience id, account
  meta_audiences audiences_;
  std::mutex quota_mutex_;
  std::map<std::string, std::deque<clock::time_point>> calls_;  ///< account → calls this hour
};

}  // namespace backflow::emulators
