// The generic webhook receiver emulator: Standard Webhooks signatures, idempotent batch delivery.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "emulators/rate_window.hpp"

namespace backflow::emulators {

/// Receives `POST <any path>` batches
/// `{"sync","run_id","batch_id","records":[{"op","key","fields"}]}` signed with webhook-id /
/// webhook-timestamp / webhook-signature, and applies them by key. Extra control endpoints:
/// GET|POST|DELETE /__emulator/rules, e.g.
/// `{"reject_if":{"field":"email","contains":"invalid"}}` answers such batches with 422;
/// GET /__emulator/bodies: `{"bodies":[...]}`, the exact text of the last signed, well-formed
/// batches received (numbers as sent, which parsed records cannot show).
class webhook_emulator final : public emulator {
 public:
  /// The secret used when none is configured: "whsec_" + base64("emulator-secret").
  static std::string default_secret();

  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  /// `key` is the HMAC key (see signing_key()).
  explicit webhook_emulator(std::string key);

  [[nodiscard]] std::string name() const override { return "webhook"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  struct stored {
    nlohmann::json fields = nlohmann::json::object();
    bool deleted = false;
    std::int64_t upserts = 0;
    std::int64_t deletes = 0;
  };
  struct reject_rule {
    std::string field;
    std::string contains;
  };

  /// The reason a signed request is refused (status and message), or status 0 when it is fine.
  [[nodiscard]] std::pair<int, std::string> check_signature(const httplib::Request& req) const;
  /// Applies a validated batch unless its webhook-id was applied before or a limit or rule refuses
  /// it.
  void deliver(const std::string& webhook_id, const nlohmann::json& batch, const limits& current,
               api_response& out);

  std::string key_;
  std::mutex quota_mutex_;
  rate_window per_second_{std::chrono::seconds(1)};
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, stored> records_;
  std::unordered_map<std::string, std::size_t> applied_;  ///< webhook-id → records received
  std::int64_t duplicates_ = 0;
  std::int64_t batches_ = 0;
  std::vector<reject_rule> rules_;
  static constexpr std::size_t max_bodies = 200;
  std::deque<std::string> bodies_;  ///< raw bodies of the last batches received
};

}  // namespace backflow::emulators
