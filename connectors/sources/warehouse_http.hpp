// What the HTTP warehouse clients (Snowflake, Databricks, BigQuery) share around rest_client.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/rest_client.hpp"

namespace backflow {

/// A statement client's options: `secrets` redacted, `stop` checked before and between
/// attempts, `request_timeout` for one call (a statement's answer may be long in coming).
rest_client_options warehouse_client_options(std::vector<std::string> secrets,
                                             const std::shared_ptr<std::atomic<bool>>& stop,
                                             std::chrono::milliseconds request_timeout);

/// The HTTP status a rest_client failure names ("...: HTTP 401: ..."), or 0 for none.
int http_status_in(const std::string& message);

/// The string after `"key"` and a colon in `text` (JSON, perhaps cut short), or "": the
/// error code and message of a warehouse's answer inside a failure's text.
std::string quoted_json_field(const std::string& text, const std::string& key);

/// Sends `request` once, 10 s at most, failures ignored: a cancel as the run ends.
void send_once(const http_request& request);

/// Appends an auth header, or several, to a request's headers.
inline void append_headers(std::vector<http_header>& to, const http_header& header) {
  to.push_back(header);
}
inline void append_headers(std::vector<http_header>& to, const std::vector<http_header>& headers) {
  to.insert(to.end(), headers.begin(), headers.end());
}

/// Sends `request` with the header(s) `authorize(refresh)` gives (a result of an http_header
/// or of a vector of them). A 401 when `can_refresh` (a fresh token or JWT can be had) is sent
/// once more with refresh = true. `send` is the client's call (rest_client::send or send_json).
template <class Authorize, class Send>
auto send_authorized(http_request request, bool can_refresh, Authorize&& authorize, Send&& send)
    -> decltype(send(request)) {
  const auto base_headers = request.headers;
  for (bool refresh = false;; refresh = true) {
    auto auth = authorize(refresh);
    if (!auth)
      return auth.error();
    request.headers = base_headers;
    append_headers(request.headers, *auth);
    auto answer = send(request);
    if (answer || refresh || !can_refresh || http_status_in(answer.error().message) != 401)
      return answer;
  }
}

}  // namespace backflow
