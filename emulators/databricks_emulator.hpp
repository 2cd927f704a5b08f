// The Databricks SQL Statement Execution API 2.0 emulator: statements on a real SQLite file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulators/databricks_sql.hpp"
#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// Serves POST /api/2.0/sql/statements, GET /api/2.0/sql/statements/{id},
/// GET .../{id}/result/chunks/{n}, POST .../{id}/cancel, DELETE .../{id} (close), the OAuth
/// token endpoint POST /oidc/v1/token (client credentials, HTTP basic auth) and presigned
/// external links GET /presigned/{id}/{n}?X-Expires=..&X-Signature=.. (HMAC-signed, refused
/// once expired or when the request carries an Authorization header, as a cloud store does).
/// API calls need `Authorization: Bearer` with a --token (PAT) or an unexpired issued token.
/// GET /__emulator/records lists the statements: text, state, rows, chunks, served, auth.
class databricks_emulator final : public emulator {
 public:
  struct settings {
    std::string database = ":memory:";
    std::vector<std::string> tokens;
    std::string client_id;
    std::string client_secret;
    std::string warehouse_id;  ///< "" accepts any
    std::size_t chunk_rows = 10000;
    int pending_polls = 0;  ///< status GETs answered PENDING/RUNNING before SUCCEEDED
    std::int64_t link_ttl_s = 900;
    std::int64_t token_ttl_s = 3600;
  };

  /// Its registry entry: name, options, factory.
  static emulator_type type();

  explicit databricks_emulator(settings s);

  [[nodiscard]] std::string name() const override { return "databricks"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string&, const httplib::Request&, httplib::Response&) override {
    return false;
  }

 private:
  struct statement {
    std::string id;
    std::string text;
    std::string auth;
    std::string disposition;
    std::string state = "PENDING";
    int polls_left = 0;
    dbx_result result;
    dbx_error error;
    std::vector<std::uint64_t> served;  ///< chunk GETs (and chunk 0 in answers) per chunk
    std::vector<std::uint64_t> links;   ///< external link downloads per chunk
  };

  /// "" when the Bearer token is good (`kind` says PAT or OAUTH), else the 401 body.
  [[nodiscard]] std::string check_auth(const httplib::Request& req, std::string& kind) const;
  api_response token(const httplib::Request& req);
  api_response submit(const httplib::Request& req, const std::string& auth);
  api_response status_of(statement& s, const httplib::Request& req);
  api_response chunk(statement& s, std::size_t n, const httplib::Request& req);
  api_response link(const httplib::Request& req);
  /// Chunk `n` as ResultData: data_array inline, or a freshly signed external link.
  nlohmann::json result_data(statement& s, std::size_t n, const httplib::Request& req);
  [[nodiscard]] std::string signature(const std::string& path, std::int64_t expires) const;

  settings settings_;
  std::string signing_key_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<statement>> statements_;
  std::vector<std::string> order_;
  std::map<std::string, std::int64_t> issued_;  ///< OAuth access token → expiry (ms)
};

}  // namespace backflow::emulators
