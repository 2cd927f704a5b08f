// OAuth 2.0 token responses read for the delivery machine (see access_token.hpp).
#include "pipelines/delivery/access_token.hpp"

#include <nlohmann/json.hpp>

#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {

access_grant read_oauth_token(const http_response& response) {
  using kind = access_grant::kind;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto text = [&](const char* name) {
    auto it = body.is_object() ? body.find(name) : body.end();
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto status = classify_status(response.status);
  if (status != status_class::delivered) {
    std::string why = text("error").empty()
                          ? describe_http_failure(response)
                          : "HTTP " + std::to_string(response.status) + ": " + text("error") +
                                (text("error_description").empty()
                                     ? ""
                                     : " (" + text("error_description") + ")");
    return access_grant::failed(status == status_class::retryable ? kind::retry : kind::refused,
                                why);
  }
  auto token = text("access_token");
  if (token.empty())
    return access_grant::failed(kind::refused, "HTTP " + std::to_string(response.status) +
                                                   " without an access_token in its body");
  std::chrono::seconds expires{0};
  if (auto it = body.find("expires_in"); it != body.end()) {
    if (it->is_number_integer() && it->get<int64_t>() > 0)
      expires = std::chrono::seconds(it->get<int64_t>());
    else if (it->is_string())  // some endpoints quote it
      try {
        expires = std::chrono::seconds(std::max<int64_t>(0, std::stoll(it->get<std::string>())));
      } catch (...) {
      }
  }
  return access_grant::granted(std::move(token), expires);
}

std::string url_without_query(const std::string& url) {
  return url.substr(0, url.find_first_of("?#"));
}

}  // namespace backflow
