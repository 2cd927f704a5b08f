// Access tokens from a token endpoint (OAuth 2.0 client credentials, refresh tokens): what a
// token endpoint's answer means, for destinations that authenticate with short-lived tokens.
#pragma once

#include <chrono>
#include <string>

#include "pipelines/delivery/http.hpp"

namespace backflow {

/// A token endpoint's answer as the delivery machine acts on it.
struct access_grant {
  enum class kind : uint8_t {
    granted,  ///< `token` is good for `expires_in` (0: no expiry given)
    retry,    ///< a transient failure (429, 5xx): ask again after a backoff
    refused,  ///< the credentials were refused (or the answer is unusable): stop the run
  };
  kind what = kind::refused;
  std::string token;
  std::chrono::seconds expires_in{0};
  std::string reason;  ///< retry or refused: the endpoint's own words

  static access_grant granted(std::string token, std::chrono::seconds expires_in) {
    return {kind::granted, std::move(token), expires_in, {}};
  }
  static access_grant failed(kind k, std::string why) { return {k, {}, {}, std::move(why)}; }
};

/// Reads an OAuth 2.0 token response (RFC 6749 5.1 and 5.2): `access_token` and `expires_in` on
/// 2xx; `error` and `error_description` otherwise. 408, 429 and 5xx are transient.
access_grant read_oauth_token(const http_response& response);

/// `url` without its query string and fragment, to name an endpoint in messages (a token
/// endpoint may carry the client secret in its query).
std::string url_without_query(const std::string& url);

}  // namespace backflow
