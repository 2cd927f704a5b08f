// A blocking HTTP client for REST warehouses (see rest_client.hpp).
#include "connectors/sources/rest_client.hpp"

#include <random>

#include <curl/curl.h>

#include "pipelines/core/redaction.hpp"
#include "pipelines/delivery/http_client.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

std::string seconds_text(std::chrono::milliseconds wait) {
  auto tenths = wait.count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

}  // namespace

rest_client::rest_client(rest_client_options options)
    : options_(std::move(options)), easy_(curl_easy_init()) {}

rest_client::~rest_client() {
  curl_easy_cleanup(static_cast<CURL*>(easy_));
}

http_response rest_client::exchange(const http_request& req) {
  auto* easy = static_cast<CURL*>(easy_);
  curl_easy_reset(easy);  // options go, open connections stay
  http_response response;
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers)
    headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(easy, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "GET" || req.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    if (req.method == "HEAD")
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, curl_body_callback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, curl_header_callback);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  if (is_loopback_url(req.url)) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  auto started = std::chrono::steady_clock::now();
  CURLcode code = curl_easy_perform(easy);
  response.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (code == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    response.request_sent = true;
  } else {
    response = http_response{};
    response.transport_error = curl_easy_strerror(code);
  }
  curl_slist_free_all(headers);
  return response;
}

std::string rest_client::redacted(std::string text) const {
  return redact_secrets(redactor(options_.secrets).text(std::move(text)));
}

result<http_response> rest_client::send(const http_request& request) {
  const std::string what = request.method + " " + request.url + ": ";
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    if (options_.stop_requested && options_.stop_requested())
      return failure{redacted(what + "stopped before an answer")};
    auto response = exchange(request);
    std::string reason;
    if (response.transport_failed()) {
      reason = "transport error: " + response.transport_error;
    } else {
      switch (classify_status(response.status)) {
        case status_class::delivered:
          return response;
        case status_class::retryable:
          reason = describe_http_failure(response);
          break;
        default:
          if (!options_.also_retryable || !options_.also_retryable(response))
            return failure{redacted(what + describe_http_failure(response))};
          reason = describe_http_failure(response);
      }
    }
    if (attempt >= options_.retry.max_attempts)
      return failure{redacted(what + reason + " (gave up after " + std::to_string(attempt) +
                              (attempt == 1 ? " attempt)" : " attempts)"))};
    std::chrono::milliseconds server_wait{0};
    if (auto header = response.header("Retry-After"))
      server_wait = parse_retry_after(*header).value_or(server_wait);
    if (server_wait > options_.max_wait)
      return failure{redacted(what + reason + "; asked to wait " + seconds_text(server_wait) +
                              " (Retry-After), longer than max_wait " +
                              seconds_text(options_.max_wait))};
    auto wait = options_.retry.delay(attempt, server_wait, rng);
    if (options_.on_retry)
      options_.on_retry(attempt, wait, redacted(reason));
    if (!pause_unless_stopped(wait, options_.stop_requested))
      return failure{redacted(what + reason + "; stopped while waiting to retry")};
  }
}

result<nlohmann::json> rest_client::send_json(const http_request& request) {
  auto response = send(request);
  if (!response)
    return response.error();
  if (response->body.empty())
    return nlohmann::json();
  try {
    return nlohmann::json::parse(response->body);
  } catch (const nlohmann::json::exception& e) {
    return failure{redacted(request.method + " " + request.url + ": the answer is not JSON (" +
                            e.what() + "): " + response->body.substr(0, 200))};
  }
}

result<size_t> rest_client::each_page(http_request first, const next_page& on_page) {
  std::optional<http_request> request = std::move(first);
  size_t pages = 0;
  while (request) {
    auto page = send_json(*request);
    if (!page)
      return page.error();
    ++pages;
    auto next = on_page(*page);
    if (!next)
      return failure{redacted(next.error().message)};
    request = std::move(*next);
  }
  return pages;
}

http_request json_request(std::string method, std::string url, const nlohmann::json& body,
                          std::vector<http_header> headers) {
  http_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.headers.push_back({"Accept", "application/json"});
  if (!body.is_null()) {
    r.headers.push_back({"Content-Type", "application/json"});
    r.body = body.dump();
  }
  return r;
}

}  // namespace backflow
