// Plain HTTP request/response values exchanged between connectors, the delivery layer and libcurl.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backflow {

struct http_header {
  std::string name;
  std::string value;
};

struct http_request {
  std::string method = "POST";
  std::string url;
  std::vector<http_header> headers;
  std::string body;
};

struct http_response {
  long status = 0;  ///< 0 when the exchange failed below HTTP (see transport_error)
  std::string body;
  std::vector<http_header> headers;
  std::string transport_error;  ///< e.g. "connection refused", empty on an HTTP answer
  bool request_sent = false;    ///< the request may have reached the server (ambiguous failure)
  double elapsed_seconds = 0;

  /// The first header named `name` (case-insensitive).
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  [[nodiscard]] bool transport_failed() const { return status == 0; }
};

/// Case-insensitive ASCII comparison, for header names.
bool iequals(std::string_view a, std::string_view b);

}  // namespace backflow
