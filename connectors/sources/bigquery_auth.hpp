// BigQuery credentials: a service-account key exchanged for OAuth access tokens, or a given token.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/core/jwt.hpp"

namespace backflow {

/// The bearer token of every BigQuery call. With a key file, a JWT (RS256, iss = client_email,
/// scope bigquery.readonly, aud = token_uri, one hour) is exchanged at the key's token_uri
/// (grant_type jwt-bearer) and the access token is cached until a minute before it expires.
/// Thread-safe.
class bigquery_auth {
 public:
  /// Reads `credentials_file` (a service-account key JSON) or `access_token`. Failures name the
  /// option and never quote the key nor the token.
  /// `write`: the token may write (scope bigquery) rather than only read (bigquery.readonly).
  static result<std::shared_ptr<bigquery_auth>> from_spec(const source_spec& spec,
                                                          bool write = false);

  /// "Bearer …"; a new token is fetched when the cached one is near expiry or `refresh`.
  result<std::string> authorization(bool refresh = false);

  /// True with a key file: a 401 is answered by fetching a new token.
  [[nodiscard]] bool can_refresh() const { return key_ != nullptr; }

  /// The option a refused credential blames: "credentials_file" or "access_token".
  [[nodiscard]] std::string option() const {
    return can_refresh() ? "credentials_file" : "access_token";
  }

  /// Values to redact everywhere: the access tokens and the signed assertions.
  [[nodiscard]] std::vector<std::string> secrets() const;

 private:
  result<std::string> exchange();

  std::unique_ptr<rsa_private_key> key_;
  std::string client_email_;
  std::string token_uri_;
  std::string scope_;
  std::string token_;
  std::vector<std::string> secrets_;
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace backflow
