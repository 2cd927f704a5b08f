// Snowflake SQL API credentials: a key-pair JWT (RS256, refreshed before expiry) or a given token.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/core/jwt.hpp"
#include "pipelines/delivery/http.hpp"

namespace backflow {

/// The Authorization and X-Snowflake-Authorization-Token-Type headers of every request.
/// Thread-safe: partition workers share one.
class snowflake_auth {
 public:
  /// Reads `private_key_file` (+ `private_key_passphrase`, `account`, `user`) or `token`
  /// (+ `token_type`). Failures name the option and never quote a secret.
  static result<std::shared_ptr<snowflake_auth>> from_spec(const source_spec& spec);

  /// The headers; a JWT is re-signed when it has less than 10 minutes left or `refresh`.
  result<std::vector<http_header>> headers(bool refresh = false);

  /// True for key-pair auth, where a 401 is answered by signing a new token.
  [[nodiscard]] bool can_refresh() const { return key_ != nullptr; }

  /// Values to redact from every message: the given token and the passphrase.
  [[nodiscard]] const std::vector<std::string>& secrets() const { return secrets_; }

  /// The JWT claims iss and sub for `account` and `user` (exposed for tests):
  /// "ACCOUNT.USER.SHA256:<fingerprint>" and "ACCOUNT.USER".
  static std::string qualified_user(const std::string& account, const std::string& user);

 private:
  std::unique_ptr<rsa_private_key> key_;
  std::string qualified_;  // ACCOUNT.USER
  std::string fingerprint_;
  std::string token_;
  std::string token_type_;
  std::vector<std::string> secrets_;
  std::mutex mutex_;
  std::chrono::system_clock::time_point expires_{};
};

}  // namespace backflow
