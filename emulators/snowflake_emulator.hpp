// The Snowflake SQL API v2 emulator: statements run on a real SQLite file, results in partitions.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "emulators/snowflake_sql.hpp"
#include "pipelines/core/jwt.hpp"

namespace backflow::emulators {

/// Serves POST /api/v2/statements (202 when the statement runs longer than --async-after),
/// GET /api/v2/statements/{handle}[?partition=N] (gzip when accepted), and
/// POST /api/v2/statements/{handle}/cancel. Every call is authenticated for real: a
/// KEYPAIR_JWT is verified against --public-key (RS256 signature, iss fingerprint, sub, exp,
/// lifetime ≤ 1 h); OAUTH and PROGRAMMATIC_ACCESS_TOKEN tokens must be one of --token.
/// GET /__emulator/records lists the statements: text, state, rows, partitions served, auth.
class snowflake_emulator final : public emulator {
 public:
  struct settings {
    std::string database;
    std::optional<rsa_public_key> public_key;
    std::string account = "EMULATOR";
    std::string user = "BACKFLOW";
    std::vector<std::string> tokens;
    std::size_t partition_rows = 10000;
    std::int64_t async_after_ms = 45000;
  };

  /// Its registry entry: name, options, factory.
  static emulator_type type();

  explicit snowflake_emulator(settings s) : settings_(std::move(s)) {}

  [[nodiscard]] std::string name() const override { return "snowflake"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string&, const httplib::Request&, httplib::Response&) override {
    return false;
  }

 private:
  enum class state { running, succeeded, failed, cancelled };
  struct statement {
    std::string handle;
    std::string text;
    std::string request_id;
    std::string auth;
    std::int64_t created_ms = 0;
    state status = state::running;
    std::atomic<bool> cancel{false};
    snow_result result;
    snow_error error;
    std::vector<std::uint64_t> served;  ///< GETs per partition
  };

  /// "" when the request's credentials are good, else the 401 body; `kind` gets the token type.
  [[nodiscard]] std::string check_auth(const httplib::Request& req, std::string& kind) const;
  api_response submit(const httplib::Request& req, const std::string& auth);
  api_response status_of(const std::shared_ptr<statement>& s, const httplib::Request& req);
  api_response cancel(const std::shared_ptr<statement>& s);
  /// Waits up to `ms` for `s` to finish; true when it did.
  bool wait_for(const std::shared_ptr<statement>& s, std::int64_t ms);
  [[nodiscard]] std::shared_ptr<statement> find(const std::string& handle) const;

  settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  std::map<std::string, std::shared_ptr<statement>> statements_;
  std::map<std::string, std::string> by_request_id_;
  std::vector<std::string> order_;
};

}  // namespace backflow::emulators
