// Databricks credentials (see databricks_auth.hpp).
#include "connectors/sources/databricks_auth.hpp"

#include "connectors/sources/rest_client.hpp"
#include "connectors/sources/source_text.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/redaction.hpp"

namespace backflow {

result<std::shared_ptr<databricks_auth>> databricks_auth::from_spec(const source_spec& spec,
                                                                    const std::string& host) {
  auto auth = std::make_shared<databricks_auth>();
  auth->token_ = spec.string_option("token");
  auth->client_id_ = spec.string_option("client_id");
  auth->client_secret_ = spec.string_option("client_secret");
  auth->token_url_ = spec.string_option("token_url");
  if (auth->token_url_.empty())
    auth->token_url_ = host + "/oidc/v1/token";
  if (!auth->client_id_.empty() && auth->client_secret_.empty())
    return failure{"source.client_secret: missing; OAuth M2M needs client_id and client_secret"};
  if (auth->client_id_.empty() && auth->token_.empty())
    return failure{"source.token: missing; give a personal access token, or client_id and "
                   "client_secret of a service principal"};
  return auth;
}

std::vector<std::string> databricks_auth::secrets() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out = issued_;
  for (const auto* s : {&token_, &client_secret_})
    if (!s->empty())
      out.push_back(*s);
  return out;
}

result<std::string> databricks_auth::fetch_token() {
  rest_client_options options;
  options.secrets = {client_secret_};
  options.request_timeout = std::chrono::milliseconds(30'000);
  rest_client http(options);
  http_request request;
  request.method = "POST";
  request.url = token_url_;
  request.headers = {
      {"Authorization", "Basic " + base64_encode(client_id_ + ":" + client_secret_)},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"}};
  request.body = "grant_type=client_credentials&scope=" + percent_encoded("all-apis", true, false);
  auto answer = http.send_json(request);
  if (!answer) {
    std::string said = one_line(answer.error().message);
    bool refused = said.find("HTTP 400") != std::string::npos ||
                   said.find("HTTP 401") != std::string::npos ||
                   said.find("HTTP 403") != std::string::npos;
    return failure{refused ? "source.client_secret: the token endpoint refused the client "
                             "credentials: " + said
                           : "source: OAuth token request failed: " + said};
  }
  if (!answer->is_object() || !(*answer)["access_token"].is_string())
    return failure{"source: OAuth token endpoint " + token_url_ + " answered without access_token"};
  long expires_in = answer->value("expires_in", 3600L);
  expires_ = std::chrono::steady_clock::now() +
             std::chrono::seconds(std::max(expires_in - 60, 0L));  // a minute's margin
  return (*answer)["access_token"].get<std::string>();
}

result<http_header> databricks_auth::header(bool refresh) {
  if (!can_refresh())
    return http_header{"Authorization", "Bearer " + token_};
  std::lock_guard lock(mutex_);
  if (refresh || issued_.empty() || std::chrono::steady_clock::now() >= expires_) {
    auto fresh = fetch_token();
    if (!fresh)
      return fresh.error();
    issued_.push_back(std::move(*fresh));
  }
  return http_header{"Authorization", "Bearer " + issued_.back()};
}

}  // namespace backflow
