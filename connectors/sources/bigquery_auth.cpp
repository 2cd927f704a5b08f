// BigQuery credentials (see bigquery_auth.hpp).
#include "connectors/sources/bigquery_auth.hpp"

#include "connectors/sources/rest_client.hpp"
#include "pipelines/core/file_bytes.hpp"
#include "pipelines/core/redaction.hpp"

namespace backflow {
namespace {

constexpr const char* bq_scope = "https://www.googleapis.com/auth/bigquery.readonly";
constexpr const char* bq_write_scope = "https://www.googleapis.com/auth/bigquery";
constexpr const char* bq_grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr auto bq_refresh_margin = std::chrono::seconds(60);

}  // namespace

result<std::shared_ptr<bigquery_auth>> bigquery_auth::from_spec(const source_spec& spec,
                                                                bool write) {
  auto auth = std::make_shared<bigquery_auth>();
  auth->scope_ = write ? bq_write_scope : bq_scope;
  std::string file = spec.string_option("credentials_file");
  if (file.empty()) {
    auth->token_ = spec.string_option("access_token");
    if (auth->token_.empty())
      return failure{"source.credentials_file: missing; give a service-account key file or "
                     "access_token"};
    auth->secrets_.push_back(auth->token_);
    auth->expires_ = std::chrono::steady_clock::time_point::max();
    return auth;
  }
  auto text = file_bytes(file);
  if (!text)
    return failure{"source.credentials_file: cannot read " + file};
  auto key = nlohmann::json::parse(*text, nullptr, false);
  if (!key.is_object())
    return failure{"source.credentials_file: " + file + " is not JSON (a service-account key)"};
  for (const char* field : {"client_email", "private_key", "token_uri"})
    if (!key.contains(field) || !key[field].is_string())
      return failure{"source.credentials_file: " + file + " has no \"" + field +
                     "\"; is it a service-account key?"};
  auto pem = rsa_private_key::from_pem(key["private_key"].get<std::string>());
  if (!pem)
    return failure{"source.credentials_file: " + file + ": private_key: " + pem.error().message};
  auth->key_ = std::make_unique<rsa_private_key>(std::move(*pem));
  auth->client_email_ = key["client_email"].get<std::string>();
  auth->token_uri_ = key["token_uri"].get<std::string>();
  return auth;
}

std::vector<std::string> bigquery_auth::secrets() const {
  std::lock_guard lock(mutex_);
  return secrets_;
}

result<std::string> bigquery_auth::exchange() {
  auto now = std::chrono::system_clock::now();
  auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json claims = {{"iss", client_email_}, {"scope", scope_},  {"aud", token_uri_},
                           {"iat", iat},           {"exp", iat + 3600}};
  auto jwt = make_rs256_jwt(claims, *key_);
  if (!jwt)
    return failure{"source.credentials_file: " + jwt.error().message};
  rest_client_options o;
  o.secrets = secrets_;
  o.secrets.push_back(*jwt);
  rest_client http(o);
  http_request request;
  request.method = "POST";
  request.url = token_uri_;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = "grant_type=" + percent_encoded(bq_grant_type, true, false) +
                 "&assertion=" + percent_encoded(*jwt, true, false);
  auto answer = http.send_json(request);
  if (!answer)
    return failure{"source.credentials_file: the token exchange failed: " + answer.error().message};
  if (!answer->is_object() || !answer->contains("access_token") ||
      !(*answer)["access_token"].is_string())
    return failure{"source.credentials_file: the token endpoint sent no access_token"};
  token_ = (*answer)["access_token"].get<std::string>();
  secrets_.push_back(token_);
  long lifetime = answer->value("expires_in", 3600L);
  expires_ = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime);
  return token_;
}

result<std::string> bigquery_auth::authorization(bool refresh) {
  std::lock_guard lock(mutex_);
  if (key_ && (refresh || token_.empty() ||
               std::chrono::steady_clock::now() + bq_refresh_margin >= expires_)) {
    auto token = exchange();
    if (!token)
      return token.error();
  }
  return "Bearer " + token_;
}

}  // namespace backflow
