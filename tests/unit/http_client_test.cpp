// The libcurl client against real local servers: round trips, transport failures, loopback URLs.
#include <boost/test/unit_test.hpp>

#include <future>
#include <memory>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connectors/destinations/webhook.hpp"
#include "pipelines/delivery/http_client.hpp"
#include "pipelines/delivery/status_classifier.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;
using namespace std::chrono_literals;

namespace {

/// Sends `req` and waits for its completion (the promise outlives a failed wait).
http_response call(http_client& client, http_request req, std::chrono::seconds limit = 10s) {
  auto done = std::make_shared<std::promise<http_response>>();
  auto answer = done->get_future();
  client.submit(std::move(req), [done](http_response r) { done->set_value(std::move(r)); });
  BOOST_REQUIRE(answer.wait_for(limit) == std::future_status::ready);
  return answer.get();
}

http_request get(const std::string& url) {
  http_request r;
  r.method = "GET";
  r.url = url;
  return r;
}

/// A listening loopback socket that never accepts: requests reach it and wait forever.
struct black_hole {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  explicit black_hole(bool keep_listening = true) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    if (keep_listening) {
      BOOST_REQUIRE(::listen(fd, 16) == 0);
    } else {
      ::close(fd);  // nothing listens on this port any more: connections are refused
      fd = -1;
    }
  }
  ~black_hole() {
    if (fd >= 0)
      ::close(fd);
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port) + "/x";
  }
};

/// The real webhook emulator on an ephemeral port.
struct webhook_server {
  backflow::testing::background_process proc{
      {backflow::testing::binary_path("backflow-emulator"), "webhook", "--port", "0"}};
  std::string base;
  webhook_server() {
    auto line = proc.wait_for_line("listening on http://127.0.0.1:");
    BOOST_REQUIRE_MESSAGE(!line.empty(), "the emulator did not start");
    base = line.substr(line.find("http://"));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_clients)

BOOST_AUTO_TEST_CASE(a_signed_webhook_batch_round_trips) {
  webhook_server server;
  destination_context ctx;
  ctx.options = {{"endpoint", server.base + "/hooks/backflow"},
                 {"secret", "whsec_ZW11bGF0b3Itc2VjcmV0"},  // the emulator's default secret
                 {"batch_size", 100}};
  ctx.sync_name = "orders";
  ctx.run_id = 5;
  webhook_destination hook(ctx);
  delivery_batch batch{"r5-b1", "s", {"total"}, {}};
  batch.records.push_back({"k1", delivery_op::upsert, {}, "", encode_row({num(10)})});
  batch.records.push_back({"k2", delivery_op::remove, {}, "", ""});

  http_client client;
  auto r = call(client, hook.build_request(batch));
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST(nlohmann::json::parse(r.body) == nlohmann::json({{"received", 2}}));
  BOOST_TEST(r.transport_error.empty());
  BOOST_TEST(r.request_sent);
  BOOST_TEST(r.elapsed_seconds > 0.0);
  BOOST_REQUIRE(r.header("content-type"));
  BOOST_TEST(r.header("content-type")->find("application/json") != std::string_view::npos);
  BOOST_TEST((classify_response(r, 2).what == batch_verdict::kind::per_record));

  auto stored = nlohmann::json::parse(call(client, get(server.base + "/__emulator/records")).body);
  BOOST_REQUIRE_EQUAL(stored["records"].size(), 2u);
  BOOST_TEST(stored["records"][0]["key"] == "k1");
  BOOST_TEST(stored["records"][0]["fields"] == nlohmann::json({{"total", 10}}));
  BOOST_TEST(stored["records"][1]["deleted"] == true);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_refused_as_fatal) {
  webhook_server server;
  destination_context ctx;
  ctx.options = {{"endpoint", server.base + "/hooks/backflow"}, {"secret", "not-the-secret"}};
  webhook_destination hook(ctx);
  delivery_batch batch{"b1", "s", {}, {{"k", delivery_op::upsert, {}, "", ""}}};
  http_client client;
  auto r = call(client, hook.build_request(batch));
  BOOST_TEST(r.status == 401);
  BOOST_TEST((hook.interpret(batch, r).what == batch_verdict::kind::fatal));
}

BOOST_AUTO_TEST_CASE(many_requests_run_concurrently) {
  webhook_server server;
  http_client client;
  std::vector<std::future<http_response>> answers;
  std::vector<std::shared_ptr<std::promise<http_response>>> keep;
  for (int i = 0; i < 24; ++i) {
    auto p = std::make_shared<std::promise<http_response>>();
    answers.push_back(p->get_future());
    keep.push_back(p);
    client.submit(get(server.base + "/__emulator/records"),
                  [p](http_response r) { p->set_value(std::move(r)); });
  }
  for (auto& a : answers) {
    BOOST_REQUIRE(a.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(a.get().status == 200);
  }
}

BOOST_AUTO_TEST_CASE(connection_refused_is_a_transport_error_before_sending) {
  black_hole closed(false);
  http_client client;
  auto r = call(client, get(closed.url()));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.transport_failed());
  BOOST_TEST(r.transport_error == "Couldn't connect to server");
  BOOST_TEST(!r.request_sent);
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(a_timeout_after_sending_is_ambiguous) {
  black_hole hole;
  http_client_options options;
  options.request_timeout = 300ms;
  http_client client(options);
  http_request req;
  req.url = hole.url();
  req.body = "{\"inputs\":[]}";
  auto start = std::chrono::steady_clock::now();
  auto r = call(client, req);
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.transport_error == "Timeout was reached");
  BOOST_TEST(r.request_sent);  // it may have reached the server: never resend an insert blindly
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(destroying_the_client_abandons_requests_in_flight) {
  black_hole hole;
  auto called = std::make_shared<std::atomic<bool>>(false);
  auto start = std::chrono::steady_clock::now();
  {
    http_client client;
    client.submit(get(hole.url()), [called](http_response) { *called = true; });
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
  BOOST_TEST(!*called);
}

BOOST_AUTO_TEST_CASE(loopback_urls) {
  for (const char* url :
       {"http://127.0.0.1:8080/x", "https://127.1.2.3/", "http://localhost",
        "http://localhost:9/a?b", "https://[::1]:443/", "http://user:pw@127.0.0.1/"})
    BOOST_TEST(is_loopback_url(url), url);
  for (const char* url :
       {"https://api.hubapi.com/crm", "http://localhost.example.com/",
        "http://127.0.0.1@evil.example/", "https://evil.example/?next=http://127.0.0.1",
        "http://[::ffff:8.8.8.8]/", "not a url", "http://10.0.0.1/"})
    BOOST_TEST(!is_loopback_url(url), url);
}

// TLS verification is switched off for loopback hosts; a DNS name that merely starts with
// "127." is not loopback, and must keep verification on.
BOOST_AUTO_TEST_CASE(host_names_starting_with_127_are_not_loopback) {
  BOOST_TEST(!is_loopback_url("https://127.0.0.1.evil.example/"));
  BOOST_TEST(!is_loopback_url("https://127.attacker.example:443/"));
}

BOOST_AUTO_TEST_SUITE_END()
