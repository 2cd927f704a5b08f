// Databricks credentials: a personal access token, or OAuth machine-to-machine (client credentials).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/delivery/http.hpp"

namespace backflow {

/// The Authorization header of every API call. Thread-safe: chunk workers share one.
///
/// With `client_id` + `client_secret` it asks `{host}/oidc/v1/token` (grant_type
/// client_credentials, scope all-apis, HTTP basic auth) for an access token, keeps it until a
/// minute before `expires_in` runs out, and asks again when told the token was refused (401).
class databricks_auth {
 public:
  /// Reads `token`, or `client_id` + `client_secret` (and `token_url`). Failures name the option.
  static result<std::shared_ptr<databricks_auth>> from_spec(const source_spec& spec,
                                                            const std::string& host);

  /// The header; under OAuth a new token is fetched when the cached one is near its expiry or
  /// `refresh` (after a 401). Failures are "source.client_secret: ..." for refused credentials.
  result<http_header> header(bool refresh = false);

  /// True under OAuth M2M, where a 401 is answered by fetching a new token.
  [[nodiscard]] bool can_refresh() const { return !client_id_.empty(); }

  /// The option a refused credential blames: "token" or "client_secret".
  [[nodiscard]] std::string credential_option() const {
    return can_refresh() ? "client_secret" : "token";
  }

  /// Values to redact from every message: the token, the client secret, fetched access tokens.
  [[nodiscard]] std::vector<std::string> secrets() const;

 private:
  result<std::string> fetch_token();

  std::string token_;
  std::string client_id_;
  std::string client_secret_;
  std::string token_url_;
  mutable std::mutex mutex_;
  std::vector<std::string> issued_;  // access tokens fetched so far (redacted too)
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace backflow
