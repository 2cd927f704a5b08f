// Shared emulator machinery via the HubSpot emulator: limits, faults, latency, log, reset, exit.
#include <chrono>
#include <csignal>

#include <boost/test/unit_test.hpp>

#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using nlohmann::json;

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

json upsert_fault(json spec) {
  spec["match"] = {{"method", "POST"}, {"path_contains", "batch/upsert"}};
  return spec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(emulator_control)

BOOST_AUTO_TEST_CASE(ten_second_limit_answers_429_with_headers) {
  hubspot hs({"--per-10s", "3"});
  for (int i = 0; i < 3; ++i) {
    auto ok = hs.upsert_emails({"a" + std::to_string(i) + "@x.com"});
    BOOST_REQUIRE_EQUAL(ok.status, 200);
    BOOST_TEST(ok.header("X-HubSpot-RateLimit-Max") == "3");
    BOOST_TEST(ok.header("X-HubSpot-RateLimit-Remaining") == std::to_string(2 - i));
    BOOST_TEST(ok.header("X-HubSpot-RateLimit-Daily") == "1000000");
  }
  auto limited = hs.upsert_emails({"late@x.com"});
  BOOST_REQUIRE_EQUAL(limited.status, 429);
  auto body = limited.json();
  BOOST_TEST(body["errorType"] == "RATE_LIMIT");
  BOOST_TEST(body["policyName"] == "TEN_SECONDLY_ROLLING");
  BOOST_TEST(limited.header("X-HubSpot-RateLimit-Remaining") == "0");
  BOOST_TEST(limited.header("X-HubSpot-RateLimit-Interval-Milliseconds") == "10000");
  BOOST_TEST(limited.header("Retry-After").empty());
  BOOST_TEST(hs.records().size() == 3u);
  auto log = hs.control_get("requests");
  const auto& upserts = log["by_endpoint"]["POST /crm/v3/objects/contacts/batch/upsert"];
  BOOST_TEST(upserts["status"]["429"] == 1);

  // Lifting the limit at runtime; a daily limit then applies.
  hs.control_post("limits", {{"per_10s", 0}, {"daily", 5}});
  BOOST_TEST(hs.control_get("limits") == json({{"latency_ms", 0}, {"per_10s", 0}, {"daily", 5}}));
  auto fourth = hs.upsert_emails({"d@x.com"});
  BOOST_TEST(fourth.status == 200);
  BOOST_TEST(fourth.header("X-HubSpot-RateLimit-Max").empty());  // unlimited: no header
  BOOST_TEST(fourth.header("X-HubSpot-RateLimit-Daily-Remaining") == "1");
  BOOST_TEST(hs.upsert_emails({"e@x.com"}).status == 200);
  auto daily = hs.upsert_emails({"f@x.com"});
  BOOST_REQUIRE_EQUAL(daily.status, 429);
  BOOST_TEST(daily.json()["policyName"] == "DAILY");

  auto bad = backflow::testing::http_post_json(hs.url("/__emulator/limits"), {{"per_second", 1}});
  BOOST_TEST(bad.status == 400);  // not a HubSpot limit
}

BOOST_AUTO_TEST_CASE(status_fault_answers_instead_of_processing) {
  hubspot hs({"--per-10s", "0"});
  hs.control_post("faults", upsert_fault({{"status", 503},
                                          {"body", R"({"status":"error","message":"down"})"},
                                          {"headers", {{"Retry-After", "1"}}}}));
  BOOST_TEST(hs.control_get("faults")["faults"].size() == 1u);
  auto failed = hs.upsert_emails({"a@x.com"});
  BOOST_TEST(failed.status == 503);
  BOOST_TEST(failed.header("Retry-After") == "1");
  BOOST_TEST(failed.json()["message"] == "down");
  BOOST_TEST(hs.records().empty());
  BOOST_TEST(hs.control_get("faults")["faults"].empty());
  BOOST_TEST(hs.upsert_emails({"a@x.com"}).status == 200);
  auto log = hs.control_get("requests");
  BOOST_TEST(log["count"] == 2);
  BOOST_TEST(log["inputs"] == 2);
  BOOST_TEST(log["log"][0]["status"] == 503);
  BOOST_TEST(log["log"][0]["inputs"] == 1);
}

BOOST_AUTO_TEST_CASE(fault_nth_and_count_select_requests) {
  hubspot hs;
  hs.control_post("faults", upsert_fault({{"nth", 2}, {"count", 2}, {"status", 500}}));
  std::vector<long> statuses;
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(hs.get("1").status != 500);  // not a matching request
    statuses.push_back(hs.upsert_emails({"a@x.com"}).status);
  }
  BOOST_TEST(statuses == std::vector<long>({200, 500, 500, 200}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(delay_fault_slows_a_request_that_still_applies) {
  hubspot hs;
  hs.control_post("faults", upsert_fault({{"delay_ms", 300}}));
  auto started = std::chrono::steady_clock::now();
  auto r = hs.upsert_emails({"a@x.com"});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(elapsed_ms(started) >= 300);
  BOOST_TEST(hs.records().size() == 1u);
}

BOOST_AUTO_TEST_CASE(dropped_connections_are_transport_errors) {
  hubspot hs;
  hs.control_post("faults", upsert_fault({{"drop", true}}));
  auto dropped = hs.upsert_emails({"a@x.com"});
  BOOST_TEST(!dropped.error.empty());
  BOOST_TEST(hs.records().empty());

  hs.control_post("faults", upsert_fault({{"drop", true}, {"apply", true}}));
  auto ambiguous = hs.upsert_emails({"b@x.com"});
  BOOST_TEST(!ambiguous.error.empty());
  BOOST_REQUIRE_EQUAL(hs.records().size(), 1u);  // the write happened anyway
  BOOST_TEST(hs.records()[0]["properties"]["email"] == "b@x.com");

  hs.control_post("faults", upsert_fault({{"status", 502}, {"apply", true}}));
  BOOST_TEST(hs.upsert_emails({"c@x.com"}).status == 502);
  BOOST_TEST(hs.records().size() == 2u);

  auto log = hs.control_get("requests")["log"];
  BOOST_TEST(log[0]["status"] == 0);
  BOOST_TEST(log[1]["status"] == 0);
  BOOST_TEST(log[2]["status"] == 502);
  BOOST_TEST(hs.upsert_emails({"d@x.com"}).status == 200);  // the server is fine afterwards
}

BOOST_AUTO_TEST_CASE(latency_applies_to_api_requests_only) {
  hubspot hs({"--latency-ms", "150"});
  auto started = std::chrono::steady_clock::now();
  hs.control_get("records");
  BOOST_TEST(elapsed_ms(started) < 150);
  started = std::chrono::steady_clock::now();
  BOOST_TEST(hs.upsert_emails({"a@x.com"}).status == 200);
  BOOST_TEST(elapsed_ms(started) >= 150);
}

BOOST_AUTO_TEST_CASE(reset_clears_state_and_restores_limits) {
  hubspot hs({"--per-10s", "50"});
  hs.upsert_emails({"a@x.com", "b@x.com"});
  hs.control_post("limits", {{"per_10s", 1}, {"latency_ms", 5}});
  hs.control_post("faults", upsert_fault({{"status", 500}, {"nth", 5}}));
  hs.control_post("reset");
  BOOST_TEST(hs.records().empty());
  BOOST_TEST(hs.control_get("requests")["count"] == 0);
  BOOST_TEST(hs.control_get("faults")["faults"].empty());
  BOOST_TEST(hs.control_get("limits") ==
             json({{"latency_ms", 0}, {"per_10s", 50}, {"daily", 1000000}}));
  auto r = hs.upsert_emails({"c@x.com"});
  BOOST_TEST(r.json()["results"][0]["id"] == "1");  // ids restart
}

BOOST_AUTO_TEST_CASE(unknown_control_endpoints_and_bad_faults_are_400_or_404) {
  hubspot hs;
  BOOST_TEST(backflow::testing::http_get(hs.url("/__emulator/nope")).status == 404);
  auto bad = backflow::testing::http_post_json(hs.url("/__emulator/faults"), {{"statuss", 500}});
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.json()["error"].get<std::string>().find("statuss") != std::string::npos);
  BOOST_TEST(hs.control_get("health")["emulator"] == "hubspot");
}

BOOST_AUTO_TEST_CASE(sigterm_exits_cleanly) {
  hubspot hs;
  BOOST_TEST(hs.upsert_emails({"a@x.com"}).status == 200);
  hs.process().signal(SIGTERM);
  auto done = hs.process().wait(std::chrono::seconds(10));
  BOOST_TEST(done.exit_code == 0);
  BOOST_TEST(done.err.empty());
}

BOOST_AUTO_TEST_CASE(bad_command_lines_exit_2) {
  auto emulator = backflow::testing::binary_path("backflow-emulator");
  BOOST_TEST(backflow::testing::run_process({emulator, "pardot"}).exit_code == 2);
  BOOST_TEST(backflow::testing::run_process({emulator, "hubspot", "--port", "x"}).exit_code == 2);
  BOOST_TEST(backflow::testing::run_process({emulator, "webhook", "--token", "t"}).exit_code == 2);
  auto help = backflow::testing::run_process({emulator, "--help"});
  BOOST_TEST(help.exit_code == 0);
  BOOST_TEST(help.out.find("--per-10s") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
