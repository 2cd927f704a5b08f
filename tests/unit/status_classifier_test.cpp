// The shared status classifier: every status class, Retry-After parsing, verdicts for batches.
#include <boost/test/unit_test.hpp>

#include "pipelines/delivery/status_classifier.hpp"

using namespace backflow;
using std::chrono::milliseconds;
using kind = batch_verdict::kind;

namespace {

http_response answer(long status, std::string body = {}, std::vector<http_header> headers = {}) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.request_sent = true;
  return r;
}

// Tue, 14 Nov 2023 22:13:20 GMT
const auto fixed_now = std::chrono::system_clock::from_time_t(1700000000);

std::optional<long long> retry_ms(std::string_view value) {
  auto r = parse_retry_after(value, fixed_now);
  return r ? std::optional<long long>(r->count()) : std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(status_classifier)

BOOST_AUTO_TEST_CASE(every_status_has_its_class) {
  for (long s : {200L, 201L, 204L, 207L, 299L})
    BOOST_TEST((classify_status(s) == status_class::delivered), s);
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 599L})
    BOOST_TEST((classify_status(s) == status_class::retryable), s);
  // Credentials, permissions, wrong endpoint paths and redirects: no record is to blame.
  for (long s : {401L, 403L, 407L, 404L, 405L, 301L, 302L, 304L, 307L})
    BOOST_TEST((classify_status(s) == status_class::fatal), s);
  for (long s : {400L, 402L, 409L, 410L, 413L, 422L, 501L, 100L, 600L})
    BOOST_TEST((classify_status(s) == status_class::rejected), s);
}

BOOST_AUTO_TEST_CASE(malformed_retry_after_is_ignored) {
  BOOST_TEST(!retry_ms("1.2.3"));
  BOOST_TEST(!retry_ms("soon"));
}

BOOST_AUTO_TEST_CASE(retry_after_in_seconds) {
  BOOST_TEST(*retry_ms("120") == 120000);
  BOOST_TEST(*retry_ms(" 3 ") == 3000);
  BOOST_TEST(*retry_ms("0") == 0);
  BOOST_TEST(*retry_ms("1.5") == 1500);
  BOOST_TEST(*retry_ms("0.25") == 250);
}

BOOST_AUTO_TEST_CASE(absurd_retry_after_values_are_capped_at_a_year) {
  constexpr long long year_ms = 365LL * 24 * 3600 * 1000;
  BOOST_TEST(*retry_ms("99999999999999999999") == year_ms);  // beyond int64 seconds
  BOOST_TEST(*retry_ms("31536000") == year_ms);
  BOOST_TEST(*retry_ms("Fri, 31 Dec 9999 23:59:59 GMT") == year_ms);  // past nanosecond clocks
  BOOST_TEST(*retry_ms("Thu, 01 Jan 1600 00:00:00 GMT") == 0);        // long past: go now
}

BOOST_AUTO_TEST_CASE(retry_after_as_an_http_date) {
  BOOST_TEST(*retry_ms("Tue, 14 Nov 2023 22:13:50 GMT") == 30000);
  BOOST_TEST(*retry_ms("Wed, 15 Nov 2023 00:13:20 GMT") == 7200000);
  BOOST_TEST(*retry_ms("Tue, 14 Nov 2023 22:00:00 GMT") == 0);  // in the past: no wait
}

BOOST_AUTO_TEST_CASE(garbage_retry_after_is_ignored) {
  for (const char* bad : {"", "   ", "soon", "-5", "5s", "Tue, 99 Foo 2023", "1e3"})
    BOOST_TEST(!retry_ms(bad), bad);
}

BOOST_AUTO_TEST_CASE(success_delivers_every_record) {
  auto v = classify_response(answer(200), 3);
  BOOST_TEST((v.what == kind::per_record));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  for (const auto& o : v.outcomes)
    BOOST_TEST((o.what == record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(retryable_answers_honour_retry_after) {
  auto v = classify_response(answer(503, "down", {{"retry-after", "7"}}), 4);
  BOOST_TEST((v.what == kind::retry));
  BOOST_TEST(v.retry_after.count() == 7000);
  BOOST_TEST(v.reason == "HTTP 503: down");
  BOOST_TEST(classify_response(answer(429, "", {{"Retry-After", "1.5"}}), 1).retry_after.count() ==
             1500);
  auto no_header = classify_response(answer(500), 1);
  BOOST_TEST((no_header.what == kind::retry));
  BOOST_TEST(no_header.retry_after.count() == 0);
  BOOST_TEST(no_header.reason == "HTTP 500");
  BOOST_TEST(classify_response(answer(408, "", {{"Retry-After", "junk"}}), 1).retry_after.count() ==
             0);
}

BOOST_AUTO_TEST_CASE(bad_requests_split_only_batches_of_several) {
  BOOST_TEST((classify_response(answer(400, "bad"), 5).what == kind::split));
  BOOST_TEST((classify_response(answer(422, "bad"), 2).what == kind::split));
  auto single = classify_response(answer(400, "bad field"), 1);
  BOOST_TEST((single.what == kind::reject));
  BOOST_TEST(single.reason == "HTTP 400: bad field");
  BOOST_TEST((classify_response(answer(422), 1).what == kind::reject));
  BOOST_TEST((classify_response(answer(404), 5).what == kind::fatal));
  BOOST_TEST((classify_response(answer(409), 5).what == kind::reject));
  BOOST_TEST((classify_response(answer(501), 5).what == kind::reject));
}

BOOST_AUTO_TEST_CASE(credential_failures_are_fatal) {
  for (long s : {401L, 403L, 407L}) {
    auto v = classify_response(answer(s, "{\"message\":\"no\"}"), 5);
    BOOST_TEST((v.what == kind::fatal), s);
    BOOST_TEST(v.reason == "HTTP " + std::to_string(s) + ": {\"message\":\"no\"}");
  }
}

BOOST_AUTO_TEST_CASE(reasons_are_one_line_and_short) {
  std::string body = "line one\r\nline two\n" + std::string(400, 'x');
  auto reason = describe_http_failure(answer(500, body));
  BOOST_TEST(reason == "HTTP 500: line one  line two " + std::string(300 - 19, 'x'));
}

BOOST_AUTO_TEST_CASE(headers_are_found_case_insensitively) {
  auto r = answer(200, "", {{"X-One", "1"}, {"x-two", "2"}, {"X-ONE", "again"}});
  BOOST_TEST(*r.header("x-one") == "1");
  BOOST_TEST(*r.header("X-TWO") == "2");
  BOOST_TEST(!r.header("x-three"));
  BOOST_TEST(!r.transport_failed());
  BOOST_TEST(answer(0).transport_failed());
  BOOST_TEST(iequals("Content-Type", "content-type"));
  BOOST_TEST(!iequals("Content-Type", "content-typ"));
}

BOOST_AUTO_TEST_SUITE_END()
