// The HTTP interface of `backflow serve` over real HTTP, against a scripted fake service.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "pipelines/serve/http_api.hpp"
#include "tests/support/test_http.hpp"

using namespace backflow;
using backflow::testing::http_call;
using backflow::testing::http_get;

namespace {

/// Knows syncs "alpha" (with two runs) and "beta" (paused); remembers what it was asked.
class fake_service : public service_control {
 public:
  std::atomic<bool> up{true};

  bool healthy() const override { return up; }

  nlohmann::json syncs() const override {
    return {{"syncs", {{{"name", "alpha"}, {"paused", false}}, {{"name", "beta"}, {"paused", true}}}},
            {"invalid", {{{"file", "bad.json"}, {"errors", {"schedule: missing"}}}}}};
  }

  bool has_sync(const std::string& name) const override {
    return name == "alpha" || name == "beta" || name == "with space";
  }

  nlohmann::json runs(const std::string& name, size_t limit) const override {
    std::lock_guard lock(mutex_);
    last_limit_ = limit;
    if (name == "alpha") {
      nlohmann::json all = {{{"run_id", 2}, {"status", "success"}}, {{"run_id", 1}, {"status", "partial"}}};
      nlohmann::json out = nlohmann::json::array();
      for (size_t i = 0; i < limit && i < all.size(); ++i)
        out.push_back(all[i]);
      return out;
    }
    if (name == "beta" || name == "with space")
      return nlohmann::json::array();
    return nullptr;
  }

  std::string trigger(const std::string& name) override { return act("trigger", name); }
  std::string pause(const std::string& name) override { return act("pause", name); }
  std::string resume(const std::string& name) override { return act("resume", name); }
  std::string unpause(const std::string& name) override { return act("unpause", name); }

  std::string metrics() const override { return "backflow_up 1\n"; }

  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  size_t last_limit() const {
    std::lock_guard lock(mutex_);
    return last_limit_;
  }

 private:
  std::string act(const std::string& verb, const std::string& name) {
    std::lock_guard lock(mutex_);
    calls_.push_back(verb + " " + name);
    if (verb == "trigger" && name == "beta")
      return "sync beta is paused";
    if (name != "alpha" && name != "beta" && name != "with space")
      return "unknown sync " + name;
    return "";
  }

  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
  mutable size_t last_limit_ = 0;
};

/// A running http_api on a free loopback port.
struct served {
  fake_service service;
  http_api api;
  std::string base;

  explicit served(const std::string& token = "", const std::string& listen = "127.0.0.1:0")
      : api(service, listen, token) {
    const auto error = api.start();
    BOOST_REQUIRE_MESSAGE(error.empty(), error);
    base = "http://127.0.0.1:" + std::to_string(api.port());
  }
};

testing::test_response post(const std::string& url, std::vector<std::string> headers = {}) {
  return http_call("POST", url, "", headers);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_api_routes)

BOOST_AUTO_TEST_CASE(healthz_answers_ok_then_503_while_stopping) {
  served s;
  auto r = http_get(s.base + "/healthz");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "ok\n");
  s.service.up = false;
  BOOST_TEST(http_get(s.base + "/healthz").status == 503);
}

BOOST_AUTO_TEST_CASE(metrics_are_served_as_prometheus_text) {
  served s;
  auto r = http_get(s.base + "/metrics");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "backflow_up 1\n");
  BOOST_TEST(r.header("Content-Type").find("text/plain; version=0.0.4") == 0);
}

BOOST_AUTO_TEST_CASE(syncs_lists_what_the_service_reports) {
  served s;
  auto r = http_get(s.base + "/syncs");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("Content-Type") == "application/json");
  BOOST_TEST(r.json() == s.service.syncs());
}

BOOST_AUTO_TEST_CASE(runs_honours_limit_and_404s_unknown_syncs) {
  served s;
  auto r = http_get(s.base + "/syncs/alpha/runs?limit=1");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json()["sync"] == "alpha");
  BOOST_TEST(r.json()["runs"].size() == 1u);
  BOOST_TEST(r.json()["runs"][0]["run_id"] == 2);
  BOOST_TEST(s.service.last_limit() == 1u);

  BOOST_TEST(http_get(s.base + "/syncs/alpha/runs").json()["runs"].size() == 2u);
  BOOST_TEST(s.service.last_limit() == 20u);  // the default

  auto unknown = http_get(s.base + "/syncs/nope/runs");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.json()["error"].get<std::string>().find("nope") != std::string::npos);

  for (const char* bad : {"0", "-1", "x", "5000", "3a"})
    BOOST_TEST(http_get(s.base + "/syncs/alpha/runs?limit=" + bad).status == 400, bad);
}

BOOST_AUTO_TEST_CASE(run_is_accepted_or_refused_with_the_reason) {
  served s;
  auto r = post(s.base + "/syncs/alpha/run");
  BOOST_TEST(r.status == 202);
  BOOST_TEST(r.json() == nlohmann::json({{"ok", true}}));

  auto paused = post(s.base + "/syncs/beta/run");
  BOOST_TEST(paused.status == 409);
  BOOST_TEST(paused.json()["error"] == "sync beta is paused");

  auto unknown = post(s.base + "/syncs/nope/run");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.json().contains("error"));

  // The unknown sync never reached the service; the others did, in order.
  BOOST_TEST(s.service.calls() == (std::vector<std::string>{"trigger alpha", "trigger beta"}));
}

BOOST_AUTO_TEST_CASE(pause_and_resume_reach_the_service) {
  served s;
  auto p = post(s.base + "/syncs/alpha/pause");
  BOOST_TEST(p.status == 200);
  BOOST_TEST(p.json()["ok"] == true);
  BOOST_TEST(post(s.base + "/syncs/alpha/resume").status == 200);
  BOOST_TEST(post(s.base + "/syncs/nope/pause").status == 404);
  BOOST_TEST(post(s.base + "/syncs/with%20space/resume").status == 200);  // names are URL-decoded
  auto u = post(s.base + "/syncs/alpha/unpause");  // a pause the destination asked for
  BOOST_TEST(u.status == 200);
  BOOST_TEST(u.json()["ok"] == true);
  BOOST_TEST(s.service.calls() == (std::vector<std::string>{"pause alpha", "resume alpha",
                                                             "resume with space", "unpause alpha"}));
}

BOOST_AUTO_TEST_CASE(unknown_routes_and_wrong_methods_get_json_404s) {
  served s;
  auto r = http_get(s.base + "/nothing");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.json().contains("error"));
  BOOST_TEST(http_get(s.base + "/syncs/alpha/run").status == 404);  // run is POST only
  BOOST_TEST(s.service.calls().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_api_auth)

BOOST_AUTO_TEST_CASE(token_guards_every_route_but_healthz) {
  served s("s3cret");
  BOOST_TEST(http_get(s.base + "/healthz").status == 200);
  for (const char* path : {"/metrics", "/syncs", "/syncs/alpha/runs"}) {
    auto none = http_get(s.base + path);
    BOOST_TEST(none.status == 401, path);
    BOOST_TEST(none.header("WWW-Authenticate").find("Bearer") == 0u);
    BOOST_TEST(http_call("GET", s.base + path, "", {"Authorization: Bearer wrong"}).status == 401);
    BOOST_TEST(http_call("GET", s.base + path, "", {"Authorization: Bearer s3cre"}).status == 401);
    BOOST_TEST(http_call("GET", s.base + path, "", {"Authorization: Basic s3cret"}).status == 401);
    BOOST_TEST(http_call("GET", s.base + path, "", {"Authorization: Bearer s3cret"}).status == 200);
    BOOST_TEST(http_call("GET", s.base + path, "", {"Authorization: bearer s3cret"}).status == 200);
  }
  BOOST_TEST(post(s.base + "/syncs/alpha/run").status == 401);
  BOOST_TEST(post(s.base + "/syncs/nope/run").status == 401);  // no probing for sync names
  BOOST_TEST(s.service.calls().empty());
  BOOST_TEST(post(s.base + "/syncs/alpha/run", {"Authorization: Bearer s3cret"}).status == 202);
}

BOOST_AUTO_TEST_CASE(constant_time_equals_compares_whole_strings) {
  BOOST_TEST(constant_time_equals("abc", "abc"));
  BOOST_TEST(!constant_time_equals("abc", "abd"));
  BOOST_TEST(!constant_time_equals("abc", "abcd"));
  BOOST_TEST(!constant_time_equals("", "a"));
  BOOST_TEST(constant_time_equals("", ""));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_api_listen)

BOOST_AUTO_TEST_CASE(listen_addresses_parse_or_say_why_not) {
  auto v4 = listen_address::parse("127.0.0.1:8484");
  BOOST_REQUIRE(v4.ok());
  BOOST_TEST(v4->host == "127.0.0.1");
  BOOST_TEST(v4->port == 8484);
  auto v6 = listen_address::parse("[::1]:9000");
  BOOST_REQUIRE(v6.ok());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 9000);
  for (const char* bad : {"8484", ":8484", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http",
                          "::1:8484", "[::1]8484", ""}) {
    auto r = listen_address::parse(bad);
    BOOST_TEST(!r.ok(), bad);
    if (!r.ok())
      BOOST_TEST(r.error().message.find("invalid listen address") == 0u, bad);
  }
}

BOOST_AUTO_TEST_CASE(loopback_is_recognised) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"})
    BOOST_TEST((listen_address{host, 1}.is_loopback()), host);
  for (const char* host : {"0.0.0.0", "10.0.0.1", "::", "example.com", "128.0.0.1"})
    BOOST_TEST((!listen_address{host, 1}.is_loopback()), host);
}

BOOST_AUTO_TEST_CASE(public_address_needs_a_token) {
  fake_service service;
  http_api open(service, "0.0.0.0:0", "");
  const auto error = open.start();
  BOOST_TEST(error.find("0.0.0.0:0") != std::string::npos);
  BOOST_TEST(error.find("token") != std::string::npos);

  http_api guarded(service, "0.0.0.0:0", "t");
  BOOST_TEST(guarded.start() == "");
  BOOST_TEST(guarded.port() > 0);
  auto r = http_call("GET", "http://127.0.0.1:" + std::to_string(guarded.port()) + "/syncs", "",
                     {"Authorization: Bearer t"});
  BOOST_TEST(r.status == 200);
}

BOOST_AUTO_TEST_CASE(a_taken_port_is_reported_with_its_address) {
  served first;
  fake_service service;
  const std::string listen = "127.0.0.1:" + std::to_string(first.api.port());
  http_api second(service, listen, "");
  const auto error = second.start();
  BOOST_TEST(error.find("cannot listen on " + listen) == 0u, error);
  BOOST_TEST(second.port() == 0);
}

BOOST_AUTO_TEST_CASE(malformed_listen_is_reported_by_start) {
  fake_service service;
  http_api api(service, "localhost", "");
  BOOST_TEST(api.start().find("invalid listen address \"localhost\"") == 0u);
}

BOOST_AUTO_TEST_CASE(stop_is_prompt_idempotent_and_frees_the_port) {
  fake_service service;
  http_api never_started(service, "127.0.0.1:0", "");
  never_started.stop();

  int port = 0;
  {
    http_api api(service, "127.0.0.1:0", "");
    BOOST_REQUIRE(api.start().empty());
    port = api.port();
    BOOST_TEST(api.start().find("already") != std::string::npos);
    BOOST_TEST(http_get("http://127.0.0.1:" + std::to_string(port) + "/healthz").status == 200);
    api.stop();
    api.stop();
    BOOST_TEST(!http_get("http://127.0.0.1:" + std::to_string(port) + "/healthz").error.empty());
  }
  http_api again(service, "127.0.0.1:" + std::to_string(port), "");
  BOOST_TEST(again.start() == "");  // the port was released
}

BOOST_AUTO_TEST_SUITE_END()
