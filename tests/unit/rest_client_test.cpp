// The REST helper for warehouse sources over real HTTP: retries as delivery does them, paging,
// timeouts and redaction, against a scripted local server.
#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "connectors/sources/rest_client.hpp"

using namespace backflow;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

/// A local HTTP server on 127.0.0.1; routes are added before start().
struct scripted_server {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<int> hits{0};
  std::mutex mutex;
  std::vector<std::string> bodies;  ///< request bodies, in order

  void start() {
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running())
      std::this_thread::sleep_for(5ms);
  }
  ~scripted_server() {
    server.stop();
    if (thread.joinable())
      thread.join();
  }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  void record(const httplib::Request& req) {
    ++hits;
    std::lock_guard<std::mutex> guard(mutex);
    bodies.push_back(req.body);
  }
};

/// Fast backoff, so only server-given waits take time.
rest_client_options quick(int attempts = 4) {
  rest_client_options o;
  o.retry.max_attempts = attempts;
  o.retry.initial = 10ms;
  o.retry.max = 50ms;
  o.request_timeout = 5s;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rest_client_suite)

BOOST_AUTO_TEST_CASE(a_429_waits_for_its_retry_after_then_succeeds) {
  scripted_server s;
  s.server.Get("/q", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    if (s.hits == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content(R"({"message":"slow down"})", "application/json");
    } else {
      res.set_content(R"({"rows":[[1]]})", "application/json");
    }
  });
  s.start();
  auto options = quick();
  std::vector<std::chrono::milliseconds> waits;
  options.on_retry = [&](int, std::chrono::milliseconds wait, const std::string& reason) {
    waits.push_back(wait);
    BOOST_TEST(reason.find("HTTP 429") != std::string::npos, reason);
  };
  rest_client client(options);
  auto start = std::chrono::steady_clock::now();
  auto answer = client.send_json(json_request("GET", s.url("/q")));
  BOOST_REQUIRE_MESSAGE(answer.ok(), (answer.ok() ? "" : answer.error().message));
  BOOST_TEST(*answer == json::parse(R"({"rows":[[1]]})"));
  BOOST_TEST(s.hits == 2);
  BOOST_REQUIRE_EQUAL(waits.size(), 1u);
  // Retry-After: 1 is honoured with at most 10% jitter, not replaced by the 10 ms backoff.
  BOOST_TEST(waits[0].count() >= 1000);
  BOOST_TEST(waits[0].count() <= 1100);
  BOOST_TEST(seconds_since(start) >= 1.0);
}

BOOST_AUTO_TEST_CASE(a_503_is_retried_with_backoff_then_the_200_is_returned) {
  scripted_server s;
  s.server.Post("/statements", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    if (s.hits == 1) {
      res.status = 503;
      res.set_content("warehouse resuming", "text/plain");
    } else {
      res.set_content(R"({"id":"q-1"})", "application/json");
    }
  });
  s.start();
  rest_client client(quick());
  auto body = json{{"statement", "SELECT 1"}, {"name", "Zoë ✓"}};
  auto answer = client.send_json(json_request("POST", s.url("/statements"), body));
  BOOST_REQUIRE_MESSAGE(answer.ok(), (answer.ok() ? "" : answer.error().message));
  BOOST_TEST((*answer)["id"] == "q-1");
  BOOST_TEST(s.hits == 2);
  // The same request was sent again, byte for byte.
  BOOST_REQUIRE_EQUAL(s.bodies.size(), 2u);
  BOOST_TEST(s.bodies[0] == body.dump());
  BOOST_TEST(s.bodies[1] == body.dump());
}

BOOST_AUTO_TEST_CASE(a_400_fails_at_once_naming_the_request_and_the_answer) {
  scripted_server s;
  s.server.Post("/statements", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.status = 400;
    res.set_content(R"({"message":"SQL compilation error: invalid identifier 'EMIAL'"})",
                    "application/json");
  });
  s.start();
  rest_client client(quick());
  auto answer = client.send(json_request("POST", s.url("/statements"), json{{"q", 1}}));
  BOOST_REQUIRE(!answer.ok());
  const auto& message = answer.error().message;
  BOOST_TEST(s.hits == 1);
  BOOST_TEST(message.find("POST " + s.url("/statements") + ": HTTP 400") == 0, message);
  BOOST_TEST(message.find("invalid identifier 'EMIAL'") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(retries_stop_at_max_attempts) {
  scripted_server s;
  s.server.Get("/q", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.status = 502;
  });
  s.start();
  rest_client client(quick(3));
  auto answer = client.send(json_request("GET", s.url("/q")));
  BOOST_REQUIRE(!answer.ok());
  BOOST_TEST(s.hits == 3);
  BOOST_TEST(answer.error().message.find("HTTP 502") != std::string::npos, answer.error().message);
  BOOST_TEST(answer.error().message.find("gave up after 3 attempts") != std::string::npos,
             answer.error().message);
}

BOOST_AUTO_TEST_CASE(a_retry_after_beyond_max_wait_fails_without_waiting) {
  scripted_server s;
  s.server.Get("/q", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.status = 429;
    res.set_header("Retry-After", "86400");
  });
  s.start();
  auto options = quick();
  options.max_wait = 60s;
  rest_client client(options);
  auto start = std::chrono::steady_clock::now();
  auto answer = client.send(json_request("GET", s.url("/q")));
  BOOST_REQUIRE(!answer.ok());
  BOOST_TEST(s.hits == 1);
  BOOST_TEST(seconds_since(start) < 1.0);
  BOOST_TEST(answer.error().message.find("asked to wait 86400.0s") != std::string::npos,
             answer.error().message);
}

BOOST_AUTO_TEST_CASE(pages_are_followed_by_url_and_by_token_until_the_last) {
  scripted_server s;
  s.server.Get("/rows", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    if (req.get_param_value("page") == "1")
      res.set_content(R"({"rows":[1,2],"next_url":"/rows?page=2"})", "application/json");
    else
      res.set_content(R"({"rows":[3],"page_token":"tok-3"})", "application/json");
  });
  s.server.Post("/rows", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.set_content(json::parse(req.body)["page_token"] == "tok-3"
                        ? R"({"rows":[4,5]})"
                        : R"({"rows":[]})",
                    "application/json");
  });
  s.start();
  rest_client client(quick());
  std::vector<int> rows;
  auto pages = client.each_page(
      json_request("GET", s.url("/rows?page=1")),
      [&](const json& page) -> result<std::optional<http_request>> {
        for (const auto& r : page["rows"])
          rows.push_back(r.get<int>());
        if (page.contains("next_url"))
          return std::optional<http_request>(
              json_request("GET", s.url(page["next_url"].get<std::string>())));
        if (page.contains("page_token"))
          return std::optional<http_request>(json_request(
              "POST", s.url("/rows"), json{{"page_token", page["page_token"]}}));
        return std::optional<http_request>();
      });
  BOOST_REQUIRE_MESSAGE(pages.ok(), (pages.ok() ? "" : pages.error().message));
  BOOST_TEST(*pages == 3u);
  BOOST_TEST(rows == std::vector<int>({1, 2, 3, 4, 5}));
  BOOST_TEST(s.hits == 3);
}

BOOST_AUTO_TEST_CASE(a_page_handler_failure_ends_the_paging) {
  scripted_server s;
  s.server.Get("/rows", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.set_content(R"({"rows":"not a list"})", "application/json");
  });
  s.start();
  rest_client client(quick());
  auto pages = client.each_page(json_request("GET", s.url("/rows")),
                                [](const json&) -> result<std::optional<http_request>> {
                                  return failure{"source.query: rows is not a list"};
                                });
  BOOST_REQUIRE(!pages.ok());
  BOOST_TEST(pages.error().message == "source.query: rows is not a list");
  BOOST_TEST(s.hits == 1);
}

BOOST_AUTO_TEST_CASE(secrets_never_reach_an_error) {
  const std::string token = "sf-oauth-T0ken-9f8e7d";
  scripted_server s;
  s.server.Get("/q", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.status = 401;
    res.set_content("{\"message\":\"bad credential " + req.get_header_value("Authorization") +
                        "\"}",
                    "application/json");
  });
  s.start();
  auto options = quick();
  options.secrets = {token};
  rest_client client(options);
  auto answer = client.send(json_request("GET", s.url("/q?access_token=" + token), nullptr,
                                         {{"Authorization", "Bearer " + token}}));
  BOOST_REQUIRE(!answer.ok());
  const auto& message = answer.error().message;
  BOOST_TEST(s.hits == 1);  // 401 is not retried: no credential gets better by waiting
  BOOST_TEST(message.find(token) == std::string::npos, message);
  BOOST_TEST(message.find("HTTP 401") != std::string::npos, message);
  BOOST_TEST(message.find("Bearer ***") != std::string::npos, message);
  BOOST_TEST(message.find("access_token=***") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_slow_answer_times_out_and_counts_as_a_retryable_failure) {
  scripted_server s;
  s.server.Get("/slow", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    std::this_thread::sleep_for(800ms);
    res.set_content("{}", "application/json");
  });
  s.start();
  auto options = quick(2);
  options.request_timeout = 150ms;
  rest_client client(options);
  auto start = std::chrono::steady_clock::now();
  auto answer = client.send(json_request("GET", s.url("/slow")));
  BOOST_REQUIRE(!answer.ok());
  BOOST_TEST(seconds_since(start) < 1.5);
  BOOST_TEST(answer.error().message.find("transport error: Timeout") != std::string::npos,
             answer.error().message);
  BOOST_TEST(answer.error().message.find("gave up after 2 attempts") != std::string::npos,
             answer.error().message);
}

BOOST_AUTO_TEST_CASE(a_stop_request_ends_the_wait_for_a_retry) {
  scripted_server s;
  s.server.Get("/q", [&](const httplib::Request& req, httplib::Response& res) {
    s.record(req);
    res.status = 503;
    res.set_header("Retry-After", "30");
  });
  s.start();
  std::atomic<bool> stop{false};
  auto options = quick();
  options.stop_requested = [&stop] { return stop.load(); };
  options.on_retry = [&stop](int, std::chrono::milliseconds, const std::string&) { stop = true; };
  rest_client client(options);
  auto start = std::chrono::steady_clock::now();
  auto answer = client.send(json_request("GET", s.url("/q")));
  BOOST_REQUIRE(!answer.ok());
  BOOST_TEST(seconds_since(start) < 2.0);
  BOOST_TEST(answer.error().message.find("stopped while waiting") != std::string::npos,
             answer.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
