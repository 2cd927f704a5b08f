// The Customer.io Track API v2 emulator: batch identify and delete of people.
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

/// People in memory. `POST /api/v2/batch` (Basic auth: site id and API key; under 500 KB, else
/// 413) applies each `{"type":"person","identifiers":{"id"|"email":...},"action":"identify"|
/// "delete","attributes":{...}}`; an action that breaks a rule (no identifier, an attribute name
/// over 150 bytes or a value over 1000 bytes, more than 300 attributes, over 32 KB) is not
/// applied and named in a 207 `{"errors":[{"batch_index","reason","field","message"}]}`; 200 {}
/// when all applied. Attributes merge; null or "" removes one. Requests per rolling second
/// limited (429). Extra control endpoint: GET|POST|DELETE /__emulator/rules, e.g.
/// `{"reject_if":{"field":"tier","contains":"invalid"}}` fails such identify actions.
class customerio_emulator final : public emulator {
 public:
  /// Its registry entry: name, options, limits, factory.
  static emulator_type type();

  customerio_emulator(std::string site_id, std::string api_key);

  [[nodiscard]] std::string name() const override { return "customerio"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  struct person {
    std::string identifier;  ///< "id" or "email"
    nlohmann::json attributes = nlohmann::json::object();
    bool deleted = false;
    std::int64_t creations = 0;
    std::int64_t updates = 0;
  };
  struct reject_rule {
    std::string field;
    std::string contains;
  };

  /// Why one action is refused ({reason, field, message}), or null when it is good. Needs mutex_.
  [[nodiscard]] nlohmann::json problem_of(const nlohmann::json& action) const;
  void apply(const nlohmann::json& action);

  std::string authorization_;  ///< the expected "Basic <base64(site:key)>"
  std::mutex rate_mutex_;
  rate_window per_second_{std::chrono::seconds(1)};
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, person> people_;  ///< by identifier value
  std::vector<reject_rule> rules_;
};

}  // namespace backflow::emulators
