// The shared status classifier (see status_classifier.hpp).
#include "pipelines/delivery/status_classifier.hpp"

#include <cctype>
#include <cstdlib>
#include <ctime>

namespace backflow {
namespace {

/// Waits beyond a year are capped: a longer one means "stop and come back later" all the same,
/// and waits of centuries overflow the nanosecond time points they are added to.
constexpr long long max_retry_after_seconds = 365LL * 24 * 3600;
constexpr std::chrono::milliseconds longest_retry_after{max_retry_after_seconds * 1000};

}  // namespace

status_class classify_status(long s) {
  if (s >= 200 && s < 300)
    return status_class::delivered;
  // Credentials, permissions, or a request that never reached the API (redirected, wrong path):
  // no record is to blame, so stop the run instead of rejecting every record.
  if (s == 401 || s == 403 || s == 407 || s == 404 || s == 405 || (s >= 300 && s < 400))
    return status_class::fatal;
  if (s == 408 || s == 429 || (s >= 500 && s < 600 && s != 501))
    return status_class::retryable;
  return status_class::rejected;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  bool numeric = true;
  for (char c : value)
    numeric = numeric && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
  if (numeric) {
    std::string text(value);
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || seconds < 0)
      return std::nullopt;  // e.g. "1.2.3"
    if (seconds >= max_retry_after_seconds)
      return longest_retry_after;
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  std::tm tm{};
  std::string text(value);
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr)
    return std::nullopt;
  auto at_seconds = timegm(&tm);
  auto now_seconds = std::chrono::system_clock::to_time_t(now);
  if (at_seconds < now_seconds)
    return std::chrono::milliseconds(0);  // also dates too early for system_clock's nanoseconds
  if (at_seconds - now_seconds >= max_retry_after_seconds)
    return longest_retry_after;
  auto at = std::chrono::system_clock::from_time_t(at_seconds);
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  return delta.count() > 0 ? delta : std::chrono::milliseconds(0);
}

std::string describe_http_failure(const http_response& r) {
  std::string body = r.body.substr(0, 300);
  for (auto& c : body)
    if (c == '\n' || c == '\r')
      c = ' ';
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

batch_verdict classify_response(const http_response& r, size_t batch_size) {
  using kind = batch_verdict::kind;
  switch (classify_status(r.status)) {
    case status_class::delivered:
      return batch_verdict::all(batch_size, record_outcome::delivered());
    case status_class::retryable: {
      std::chrono::milliseconds after{0};
      if (auto h = r.header("Retry-After"))
        if (auto parsed = parse_retry_after(*h))
          after = *parsed;
      return batch_verdict::whole(kind::retry, describe_http_failure(r), after);
    }
    case status_class::fatal:
      return batch_verdict::whole(kind::fatal, describe_http_failure(r));
    case status_class::rejected:
      if (batch_size > 1 && (r.status == 400 || r.status == 422))
        return batch_verdict::whole(kind::split, describe_http_failure(r));
      return batch_verdict::whole(kind::reject, describe_http_failure(r));
  }
  return batch_verdict::whole(kind::reject, describe_http_failure(r));
}

}  // namespace backflow
