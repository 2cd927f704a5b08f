// A blocking HTTP client for warehouses that speak REST: JSON requests, paging, shared retries.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "pipelines/delivery/http.hpp"
#include "connectors/sources/source_retry.hpp"
#include "pipelines/delivery/retry_policy.hpp"

namespace backflow {

struct rest_client_options {
  /// Attempts and backoff: the delivery layer's policy (full jitter, Retry-After honoured).
  retry_policy retry;
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  /// The longest Retry-After honoured; a longer ask fails the call rather than block for it.
  std::chrono::milliseconds max_wait{300'000};
  /// Values (tokens, passwords) replaced by "***" in every error, with the process-wide ones.
  std::vector<std::string> secrets;
  std::string user_agent = "backflow/0.1";
  /// Checked before each attempt and while waiting; true stops the call (a cancelled run).
  std::function<bool()> stop_requested;
  /// Told of each retry (attempt number from 1, the wait, the reason), e.g. to log it.
  std::function<void(int, std::chrono::milliseconds, const std::string&)> on_retry;
  /// Answers the shared classifier calls permanent that this warehouse documents as throttles
  /// (BigQuery's 403 rateLimitExceeded): retried like a 429.
  std::function<bool(const http_response&)> also_retryable;
};


/// Sends requests one at a time on one libcurl easy handle (connections are reused) and blocks
/// until each is answered: call it from a detached actor or a thread, never a scheduler thread.
/// Answers are sorted by the delivery layer's status classifier: 2xx returned; 408, 429 and
/// 5xx except 501 (and transport failures) retried with its backoff; anything else fails at
/// once. TLS is verified except for loopback hosts (local emulators). Not thread-safe.
class rest_client {
 public:
  explicit rest_client(rest_client_options options = {});
  ~rest_client();
  rest_client(const rest_client&) = delete;
  rest_client& operator=(const rest_client&) = delete;

  /// The 2xx answer to `request`, after retries; a failure names the method, URL and the last
  /// answer ("HTTP 400: <body>"), with secrets redacted.
  result<http_response> send(const http_request& request);

  /// Like send(), with the answer's body parsed as JSON (an empty body is null).
  result<nlohmann::json> send_json(const http_request& request);

  /// What a page handler returns: the request for the next page, or nullopt after the last.
  using next_page = std::function<result<std::optional<http_request>>(const nlohmann::json& page)>;

  /// Sends `first`, hands each JSON page to `on_page` and follows the request it returns (a
  /// next URL, a page token in a body) until it returns nullopt or fails. Returns the number
  /// of pages read.
  result<size_t> each_page(http_request first, const next_page& on_page);

 private:
  http_response exchange(const http_request& request);
  [[nodiscard]] std::string redacted(std::string text) const;

  rest_client_options options_;
  void* easy_ = nullptr;  // CURL*
};

/// A request with a JSON body (or none when `body` is null) and JSON Content-Type and Accept
/// headers, plus `headers` (e.g. an Authorization header).
http_request json_request(std::string method, std::string url,
                          const nlohmann::json& body = nullptr,
                          std::vector<http_header> headers = {});

}  // namespace backflow
