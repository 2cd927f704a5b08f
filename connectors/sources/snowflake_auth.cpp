// Snowflake SQL API credentials (see snowflake_auth.hpp).
#include "connectors/sources/snowflake_auth.hpp"

#include <cctype>

#include "pipelines/core/file_bytes.hpp"

namespace backflow {
namespace {

// Snowflake refuses a JWT that lives longer than an hour.
constexpr auto jwt_lifetime = std::chrono::minutes(59);
constexpr auto refresh_margin = std::chrono::minutes(10);

std::string upper(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::string snowflake_auth::qualified_user(const std::string& account, const std::string& user) {
  // A locator with a region ("xy12345.us-east-2.aws") signs as its first part only.
  return upper(account.substr(0, account.find('.'))) + "." + upper(user);
}

result<std::shared_ptr<snowflake_auth>> snowflake_auth::from_spec(const source_spec& spec) {
  auto auth = std::make_shared<snowflake_auth>();
  std::string key_file = spec.string_option("private_key_file");
  if (key_file.empty()) {
    auth->token_ = spec.string_option("token");
    if (auth->token_.empty())
      return failure{"source.token: missing; give private_key_file (key-pair auth) or token"};
    auth->token_type_ = spec.string_option("token_type");
    if (auth->token_type_.empty())
      auth->token_type_ = "OAUTH";
    auth->secrets_.push_back(auth->token_);
    return auth;
  }
  std::string passphrase = spec.string_option("private_key_passphrase");
  if (!passphrase.empty())
    auth->secrets_.push_back(passphrase);
  auto pem = file_bytes(key_file);
  if (!pem)
    return failure{"source.private_key_file: cannot read " + key_file};
  auto key = rsa_private_key::from_pem(*pem, passphrase);
  if (!key)
    return failure{"source.private_key_file: " + key_file + ": " + key.error().message};
  auth->key_ = std::make_unique<rsa_private_key>(std::move(*key));
  auth->fingerprint_ = auth->key_->public_key_fingerprint();
  auth->qualified_ = qualified_user(spec.string_option("account"), spec.string_option("user"));
  auth->token_type_ = "KEYPAIR_JWT";
  return auth;
}

result<std::vector<http_header>> snowflake_auth::headers(bool refresh) {
  std::lock_guard lock(mutex_);
  if (key_) {
    auto now = std::chrono::system_clock::now();
    if (refresh || token_.empty() || now + refresh_margin >= expires_) {
      auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
      auto exp = iat + std::chrono::duration_cast<std::chrono::seconds>(jwt_lifetime).count();
      nlohmann::json claims = {{"iss", qualified_ + "." + fingerprint_},
                               {"sub", qualified_},
                               {"iat", iat},
                               {"exp", exp}};
      auto jwt = make_rs256_jwt(claims, *key_);
      if (!jwt)
        return failure{"source.private_key_file: " + jwt.error().message};
      token_ = std::move(*jwt);
      expires_ = now + jwt_lifetime;
    }
  }
  return std::vector<http_header>{{"Authorization", "Bearer " + token_},
                                  {"X-Snowflake-Authorization-Token-Type", token_type_}};
}

}  // namespace backflow
