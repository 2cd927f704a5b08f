// Fuzzes Retry-After parsing (delta-seconds or HTTP-date) and the shared status classifier.
#include <chrono>

#include "pipelines/delivery/status_classifier.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" (2024-05-01T12:00:00Z) keeps runs reproducible.
  const auto now = std::chrono::system_clock::from_time_t(1714564800);
  if (auto wait = parse_retry_after(value, now))
    fuzz::require(wait->count() >= 0, "Retry-After never gives a negative wait");
  for (long status : {429L, 503L, 200L, 400L}) {
    http_response r;
    r.status = status;
    r.headers = {{"Retry-After", std::string(value)}};
    r.body = R"({"status":"error","message":"slow down"})";
    fuzz::check_verdict(classify_response(r, 3), 3);
  }
  return 0;
}
