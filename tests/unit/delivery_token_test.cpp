// The delivery machine's access tokens (destination::build_token_request): fetched once and
// shared, refetched when expired or refused, a failing token endpoint stops the run, and the
// client secret is never printed. Scripted answers, a fake clock, no sockets.
#include <boost/test/unit_test.hpp>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "pipelines/core/redaction.hpp"
#include "tests/unit/delivery_rig.hpp"

using namespace backflow;
using namespace backflow::delivery;
using namespace backflow::delivery::machine_rig;
using namespace backflow::unit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string client_secret = "cs-9f8e7d6c5b4a-secret";
const std::string token_url =
    "http://id.example/identity/oauth/token?grant_type=client_credentials&client_id=cid&client_secret=" +
    client_secret;

/// plain_destination behind a client-credentials token endpoint; an answer whose body is
/// "refused" refuses the request's token (HTTP 200, as Marketo's 601/602 do).
class token_destination : public plain_destination {
 public:
  std::optional<http_request> build_token_request() const override {
    http_request r;
    r.method = "GET";
    r.url = token_url;
    return r;
  }
  batch_verdict interpret(const delivery_batch& batch, const http_response& r) const override {
    if (r.status == 200 && r.body.find("refused") != std::string::npos) {
      auto v = batch_verdict::whole(batch_verdict::kind::retry, "601 Access token invalid");
      v.token_rejected = true;
      return v;
    }
    return plain_destination::interpret(batch, r);
  }
};

bool is_token_request(const http_request& r) {
  return r.url.find("/oauth/token") != std::string::npos;
}

http_response grant(const std::string& token, int expires_in = 3599) {
  return response(200, {{"access_token", token}, {"token_type", "bearer"},
                        {"expires_in", expires_in}, {"scope", "api@x.com"}});
}

/// The sends that were not token requests.
std::vector<http_request> data_requests(const rig& r) {
  std::vector<http_request> out;
  for (const auto& s : r.sent)
    if (!is_token_request(s))
      out.push_back(s);
  return out;
}

size_t token_requests(const rig& r) {
  return r.sent.size() - data_requests(r).size();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery_machine_tokens)

BOOST_AUTO_TEST_CASE(one_token_is_fetched_for_many_batches_and_carried_by_each_request) {
  rig r(std::make_shared<token_destination>(), 4);
  r.answer = [](const http_request&) { return response(200, json::object()); };
  r.hold_if = [](const http_request& req) { return is_token_request(req); };
  for (int i = 0; i < 6; ++i)  // four wait for the token together, two wait upstream of them
    r.deliver(batch_named("b" + std::to_string(i), delivery_op::upsert,
                          {"k" + std::to_string(i) + "a", "k" + std::to_string(i) + "b"}));
  BOOST_TEST(r.sent.size() == 1u);
  BOOST_REQUIRE(r.held.size() == 1u);
  r.answer_held(0, grant("tok-1"));
  r.end();
  BOOST_TEST(token_requests(r) == 1u);
  BOOST_TEST(r.sent.front().method == "GET");
  BOOST_TEST(is_token_request(r.sent.front()));  // before any data request
  auto data = data_requests(r);
  BOOST_TEST(data.size() == 6u);
  for (const auto& d : data)
    BOOST_TEST(header_of(d, "Authorization") == "Bearer tok-1");
  BOOST_TEST(r.settled.size() == 12u);
  BOOST_TEST(r.report.api_calls == 6u);  // the token request is not an API call of the quota
  BOOST_TEST(r.report.notes.counters["access_tokens_fetched"] == 1u);
  BOOST_TEST(r.report.fatal.empty());
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_fetched_again_once_and_the_batch_delivered) {
  rig r(std::make_shared<token_destination>(), 2);
  int tokens = 0;
  r.answer = [&](const http_request& req) {
    if (is_token_request(req))
      return grant("tok-" + std::to_string(++tokens));
    return header_of(req, "Authorization") == "Bearer tok-1" ? response(200, "refused")
                                                             : response(200, json::object());
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann", "bob"}));
  r.deliver(batch_named("b2", delivery_op::upsert, {"cy"}));
  r.end();
  BOOST_TEST(token_requests(r) == 2u);
  auto data = data_requests(r);
  BOOST_REQUIRE(data.size() == 3u);  // b1 refused, b1 again, b2
  BOOST_TEST(header_of(data[0], "Authorization") == "Bearer tok-1");
  BOOST_TEST(header_of(data[1], "Authorization") == "Bearer tok-2");
  BOOST_TEST(header_of(data[2], "Authorization") == "Bearer tok-2");
  BOOST_TEST(r.report.retried == 2u);  // ann and bob went again
  BOOST_TEST(r.parks.empty());         // at once: a refused token is no failed attempt
  BOOST_TEST(r.settled.size() == 3u);
  for (const auto& o : r.settled)
    BOOST_TEST((o.what == settled_outcome::kind::delivered));
  BOOST_TEST(r.report.failed == 0u);
  BOOST_TEST(r.report.fatal.empty());
  BOOST_TEST(r.credits == 2u);
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_token_refused_three_times_stops_the_run) {
  rig r(std::make_shared<token_destination>());
  int tokens = 0;
  r.answer = [&](const http_request& req) {
    return is_token_request(req) ? grant("tok-" + std::to_string(++tokens))
                                 : response(200, "refused");
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann", "bob"}));
  r.end();
  // Three tokens refused (the endpoint may hand out a token about to expire): no fourth try.
  BOOST_TEST(token_requests(r) == 3u);
  BOOST_TEST(data_requests(r).size() == 3u);
  BOOST_TEST(r.settled.empty());  // nothing rejected: the records wait for the next run
  BOOST_TEST(r.report.failed == 2u);
  BOOST_TEST(r.report.retried == 4u);
  BOOST_TEST(r.report.fatal.find("refused a newly fetched access token") != std::string::npos);
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_fetched_again_before_the_next_request) {
  rig r(std::make_shared<token_destination>(), 1);
  int tokens = 0;
  r.answer = [&](const http_request& req) {
    return is_token_request(req) ? grant("tok-" + std::to_string(++tokens), 100)
                                 : response(200, json::object());
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann"}));
  r.steady += 50s;  // still valid
  r.deliver(batch_named("b2", delivery_op::upsert, {"bob"}));
  r.steady += 45s;  // 95 s: inside the refetch margin (10% of its lifetime)
  r.deliver(batch_named("b3", delivery_op::upsert, {"cy"}));
  r.end();
  BOOST_TEST(token_requests(r) == 2u);
  auto data = data_requests(r);
  BOOST_REQUIRE(data.size() == 3u);
  BOOST_TEST(header_of(data[1], "Authorization") == "Bearer tok-1");
  BOOST_TEST(header_of(data[2], "Authorization") == "Bearer tok-2");
  BOOST_TEST(r.settled.size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_transient_token_failure_is_retried_after_a_backoff) {
  rig r(std::make_shared<token_destination>());
  int tokens = 0;
  r.answer = [&](const http_request& req) {
    if (!is_token_request(req))
      return response(200, json::object());
    return ++tokens == 1 ? response(503, "busy") : grant("tok-2");
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann", "bob"}));
  r.end();
  BOOST_TEST(token_requests(r) == 2u);
  BOOST_TEST(r.parks.size() == 1u);
  BOOST_TEST(r.settled.size() == 2u);
  BOOST_TEST(r.report.fatal.empty());
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_refusing_token_endpoint_stops_the_run_naming_its_error_not_the_secret) {
  std::ostringstream logged;
  auto logger = std::make_shared<spdlog::logger>(
      "token_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(logged));
  logger->set_level(spdlog::level::debug);
  register_secret(client_secret);  // as the sync file's secret options are
  rig r(std::make_shared<token_destination>(), 4,
        [&](machine_settings& s) { s.log = run_logger(logger, "s", 1); });
  r.answer = [](const http_request& req) {
    if (is_token_request(req))
      return response(401, {{"error", "invalid_client"},
                            {"error_description", "Bad client credentials"}});
    return response(200, json::object());
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann", "bob"}));
  r.deliver(batch_named("b2", delivery_op::upsert, {"cy"}));
  r.end();
  BOOST_TEST(token_requests(r) == 1u);
  BOOST_TEST(data_requests(r).empty());
  BOOST_TEST(r.settled.empty());
  BOOST_TEST(r.report.failed == 2u);  // the report is out when b2 arrives
  BOOST_TEST(r.report.fatal ==
             "the token endpoint http://id.example/identity/oauth/token answered HTTP 401: "
             "invalid_client (Bad client credentials)");
  BOOST_TEST(r.credits == 2u);
  BOOST_TEST(r.finishes == 1);
  auto log = logged.str();
  BOOST_TEST(log.find("invalid_client") != std::string::npos);
  BOOST_TEST(log.find(client_secret) == std::string::npos);
  BOOST_TEST(r.report.fatal.find(client_secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_token_endpoint_that_stays_down_stops_the_run_after_the_retries) {
  retry_policy policy;
  rig r(std::make_shared<token_destination>(), 4, [&](machine_settings& s) { s.retry = policy; });
  r.answer = [](const http_request& req) {
    http_response down;
    down.transport_error = "Couldn't connect to server";
    return is_token_request(req) ? down : response(200, json::object());
  };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann"}));
  r.end();
  BOOST_TEST(token_requests(r) == static_cast<size_t>(policy.max_attempts));
  BOOST_TEST(data_requests(r).empty());
  BOOST_TEST(r.report.failed == 1u);
  BOOST_TEST(r.report.fatal.find("the token endpoint http://id.example/identity/oauth/token "
                                 "answered transport: Couldn't connect") == 0u);
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(destinations_without_a_token_endpoint_send_no_authorization_of_ours) {
  rig r(std::make_shared<plain_destination>());
  r.answer = [](const http_request&) { return response(200, json::object()); };
  r.deliver(batch_named("b1", delivery_op::upsert, {"ann"}));
  r.end();
  BOOST_REQUIRE(r.sent.size() == 1u);
  BOOST_TEST(header_of(r.sent[0], "Authorization") == "<absent>");
  BOOST_TEST(r.report.notes.counters.count("access_tokens_fetched") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
