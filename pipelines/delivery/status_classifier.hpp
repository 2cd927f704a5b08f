// The one status classifier every connector shares: delivered, retry, reject, split or stop.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "pipelines/delivery/http.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow {

enum class status_class {
  delivered,  ///< 2xx
  retryable,  ///< 408, 429, 5xx except 501
  rejected,   ///< other 4xx (and unexpected 1xx)
  fatal,      ///< 401, 403, 407 (credentials, permissions), 404, 405, 3xx (wrong endpoint):
              ///< no record is to blame; stop the run, keep state
};

status_class classify_status(long http_status);

/// Parses a Retry-After value (delta-seconds or an HTTP-date relative to `now`).
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The generic verdict for an HTTP answer to a batch of `batch_size` records:
/// 2xx → all delivered; retryable → retry (honouring Retry-After); fatal → fatal;
/// 400/422 on more than one record → split (bisect to isolate the bad ones); else reject.
/// Connectors call this and refine it where the vendor's body says more.
batch_verdict classify_response(const http_response& response, size_t batch_size);

/// "HTTP 400: <first 300 bytes of the body>" — a reason that shows what the vendor said.
std::string describe_http_failure(const http_response& response);

}  // namespace backflow
