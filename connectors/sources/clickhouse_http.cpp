// ClickHouse's HTTP interface (see clickhouse_http.hpp).
#include "connectors/sources/clickhouse_http.hpp"

#include <algorithm>
#include <cctype>

#include <curl/curl.h>

#include "connectors/sources/source_text.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/delivery/http_client.hpp"
#include "connectors/sources/source_retry.hpp"
#include "pipelines/delivery/retry_policy.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

// Exceptions a later attempt may not meet (ClickHouse's src/Common/ErrorCodes.cpp).
constexpr int transient_codes[] = {
  3,    // UNEXPECTED_END_OF_FILE
  32,   // ATTEMPT_TO_READ_AFTER_EOF
  159,  // TIMEOUT_EXCEEDED
  160,  // TOO_SLOW
  202,  // TOO_MANY_SIMULTANEOUS_QUERIES
  203,  // NO_FREE_CONNECTION
  209,  // SOCKET_TIMEOUT
  210,  // NETWORK_ERROR
  241,  // MEMORY_LIMIT_EXCEEDED
  242,  // TABLE_IS_READ_ONLY
  252,  // TOO_MANY_PARTS
  279,  // ALL_CONNECTION_TRIES_FAILED
  285,  // TOO_FEW_LIVE_REPLICAS
  394,  // QUERY_WAS_CANCELLED
  425,  // SYSTEM_ERROR
  999,  // KEEPER_EXCEPTION
};
// UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, AUTHENTICATION_FAILED.
constexpr int auth_codes[] = {192, 193, 194, 195, 516};
constexpr int unknown_database = 81;

constexpr std::string_view transient_prefix = "source: ";

std::string escape(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

ch_endpoint ch_endpoint::of(const source_spec& spec) {
  ch_endpoint e;
  e.url = spec.string_option("url");
  while (!e.url.empty() && e.url.back() == '/')
    e.url.pop_back();
  if (auto user = spec.string_option("user"); !user.empty())
    e.user = user;
  e.password = spec.string_option("password");
  e.database = spec.string_option("database");
  // Compressing costs CPU on both ends and saves only network time: none on a loopback server.
  if (auto it = spec.options.find("compression"); it != spec.options.end() && it->is_boolean())
    e.compression = it->get<bool>();
  else
    e.compression = !is_loopback_url(e.url);
  if (auto it = spec.options.find("settings"); it != spec.options.end() && it->is_object())
    for (const auto& [key, value] : it->items())
      e.settings.emplace_back(key, value.is_string()    ? value.get<std::string>()
                                   : value.is_boolean() ? (value.get<bool>() ? "1" : "0")
                                                        : value.dump());
  return e;
}

std::string ch_endpoint::url_with(
    const std::vector<std::pair<std::string, std::string>>& params) const {
  std::string out = url + "/?";
  auto add = [&out](const std::string& key, const std::string& value) {
    if (out.back() != '?')
      out += '&';
    out += escape(key) + "=" + escape(value);
  };
  if (!database.empty())
    add("database", database);
  for (const auto& [key, value] : settings)
    add(key, value);
  for (const auto& [key, value] : params)
    add(key, value);
  return out;
}

std::vector<http_header> ch_endpoint::auth_headers() const {
  return {{"X-ClickHouse-User", user}, {"X-ClickHouse-Key", password}};
}

std::string ch_endpoint::redacted(std::string text) const {
  if (!password.empty())
    text = redactor({password}).text(std::move(text));
  return redact_secrets(std::move(text));
}

std::optional<ch_error> parse_ch_error(std::string_view text) {
  constexpr std::string_view code_prefix = "Code: ";
  if (text.substr(0, code_prefix.size()) != code_prefix)
    return std::nullopt;
  size_t pos = code_prefix.size();
  size_t digits = pos;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == pos || digits + 2 > text.size() || (text[digits] != ',' && text[digits] != '.') ||
      text[digits + 1] != ' ')
    return std::nullopt;
  ch_error e;
  e.code = std::stoi(std::string(text.substr(pos, digits - pos)));
  std::string_view rest = text.substr(digits + 2);
  constexpr std::string_view display = "e.displayText() = ";
  if (rest.substr(0, display.size()) == display)
    rest.remove_prefix(display.size());
  if (size_t what = rest.rfind(", e.what() = "); what != std::string_view::npos)
    rest = rest.substr(0, what);
  e.message = one_line(trimmed(rest));
  return e;
}

failure ch_failure(const ch_endpoint& endpoint, long status, std::string_view body,
                   const std::string& transport_error) {
  if (!transport_error.empty())
    return failure{endpoint.redacted(std::string(transient_prefix) + "cannot reach ClickHouse at " +
                                     endpoint.url + ": " + transport_error)};
  if (auto e = parse_ch_error(body)) {
    std::string text = "ClickHouse error " + std::to_string(e->code) + ": " + e->message;
    std::string where;
    if (std::find(std::begin(auth_codes), std::end(auth_codes), e->code) != std::end(auth_codes))
      where = "source.password: ClickHouse refused user \"" + endpoint.user + "\": ";
    else if (e->code == unknown_database)
      where = "source.database: ";
    else if (std::find(std::begin(transient_codes), std::end(transient_codes), e->code) !=
             std::end(transient_codes))
      where = std::string(transient_prefix);
    else
      where = "source.query: ";
    return failure{endpoint.redacted(where + text)};
  }
  http_response response;
  response.status = status;
  response.body = std::string(body.substr(0, 300));
  response.request_sent = true;
  std::string text = "ClickHouse at " + endpoint.url + " answered " + describe_http_failure(response);
  // Without a ClickHouse exception the answer comes from something else at that URL (a proxy).
  bool retry = classify_status(status) == status_class::retryable;
  return failure{endpoint.redacted((retry ? std::string(transient_prefix) : "source.url: ") + text)};
}

bool is_transient_ch_failure(const failure& f) {
  return f.message.rfind(transient_prefix, 0) == 0;
}

result<std::string> ch_short_query(const ch_endpoint& endpoint, const std::string& sql,
                                   bool retry) {
  retry_policy policy;
  if (!retry)
    policy.max_attempts = 1;
  return retry_transient<std::string>(
      policy,
      [&]() -> result<std::string> {
        ch_stream stream(endpoint, sql, "");
        while (!stream.done())
          stream.pump();
        if (stream.transport_error().empty() && stream.status() == 200)
          return std::move(stream.buffer());
        return ch_failure(endpoint, stream.status(), stream.buffer(), stream.transport_error());
      },
      is_transient_ch_failure);
}

ch_stream::ch_stream(const ch_endpoint& endpoint, const std::string& query,
                     const std::string& query_id)
    : body_(query) {
  // A user whose profile has readonly = 1 may not pass any setting: compression off sends none.
  std::vector<std::pair<std::string, std::string>> params;
  if (!query_id.empty())
    params.emplace_back("query_id", query_id);
  if (!query_id.empty() && endpoint.compression)
    params.emplace_back("enable_http_compression", "1");
  url_ = endpoint.url_with(params);
  CURL* easy = curl_easy_init();
  easy_ = easy;
  curl_slist* headers = nullptr;
  for (const auto& h : endpoint.auth_headers())
    headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  headers = curl_slist_append(headers, "Expect:");
  headers_ = headers;
  curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body_.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &ch_stream::on_data);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  // No overall timeout (a long model streams for long), but a stalled answer fails.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 600L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "backflow/0.1");
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024);  // fewer, larger reads
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, endpoint.compression ? "gzip" : "identity");
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  if (is_loopback_url(url_)) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLM* multi = curl_multi_init();
  multi_ = multi;
  curl_multi_add_handle(multi, easy);
}

ch_stream::~ch_stream() {
  auto* multi = static_cast<CURLM*>(multi_);
  auto* easy = static_cast<CURL*>(easy_);
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);  // closes the connection if the answer is still coming
  curl_multi_cleanup(multi);
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

size_t ch_stream::on_data(char* data, size_t size, size_t count, void* self) {
  static_cast<ch_stream*>(self)->buffer_.append(data, size * count);
  return size * count;
}

void ch_stream::pump() {
  if (done_)
    return;
  auto* multi = static_cast<CURLM*>(multi_);
  const size_t before = buffer_.size();
  int running = 0;
  for (int round = 0; round < 2 && buffer_.size() == before; ++round) {
    curl_multi_perform(multi, &running);
    if (running == 0)
      break;
    if (buffer_.size() == before)
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  if (running != 0)
    return;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left))
    if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK)
      transport_error_ = curl_easy_strerror(msg->data.result);
  done_ = true;
}

long ch_stream::status() const {
  long code = 0;
  curl_easy_getinfo(static_cast<CURL*>(easy_), CURLINFO_RESPONSE_CODE, &code);
  return code;
}

}  // namespace backflow
