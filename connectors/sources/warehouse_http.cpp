// What the HTTP warehouse clients share around rest_client (see warehouse_http.hpp).
#include "connectors/sources/warehouse_http.hpp"

#include <algorithm>
#include <cstdlib>

namespace backflow {

rest_client_options warehouse_client_options(std::vector<std::string> secrets,
                                             const std::shared_ptr<std::atomic<bool>>& stop,
                                             std::chrono::milliseconds request_timeout) {
  rest_client_options o;
  o.secrets = std::move(secrets);
  o.stop_requested = [stop] { return stop->load(); };
  o.request_timeout = request_timeout;
  return o;
}

int http_status_in(const std::string& message) {
  size_t at = message.find(": HTTP ");
  return at == std::string::npos ? 0 : std::atoi(message.c_str() + at + 7);
}

std::string quoted_json_field(const std::string& text, const std::string& key) {
  size_t at = text.find("\"" + key + "\"");
  if (at == std::string::npos)
    return {};
  size_t open = text.find('"', text.find(':', at) + 1);
  if (open == std::string::npos)
    return {};
  size_t close = open + 1;
  while (close < text.size() && text[close] != '"')
    close += text[close] == '\\' ? 2 : 1;
  return text.substr(open + 1, std::min(close, text.size()) - open - 1);
}

void send_once(const http_request& request) {
  rest_client_options once;
  once.retry.max_attempts = 1;
  once.request_timeout = std::chrono::milliseconds(10'000);
  rest_client quick(once);
  (void)quick.send(request);
}

}  // namespace backflow
