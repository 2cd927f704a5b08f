// A blocking HTTP client for tests: talk to emulators' API and control endpoints.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow::testing {

struct test_response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  ///< transport error, if any

  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
  [[nodiscard]] std::string header(const std::string& name) const;
};

test_response http_call(const std::string& method, const std::string& url,
                        const std::string& body = {},
                        const std::vector<std::string>& headers = {}, long timeout_ms = 10000);

inline test_response http_get(const std::string& url) { return http_call("GET", url); }
inline test_response http_post_json(const std::string& url, const nlohmann::json& body,
                                    std::vector<std::string> headers = {}) {
  headers.emplace_back("Content-Type: application/json");
  return http_call("POST", url, body.dump(), headers);
}

}  // namespace backflow::testing
