// JSON log lines of `backflow serve` and friends: one object per line, key=value pairs as fields.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

#include "pipelines/cli/logging.hpp"
#include "pipelines/core/redaction.hpp"

using namespace backflow;

namespace {

/// The formatted line of one message at 2026-11-24T17:00:00.250Z.
std::string format_line(const std::string& text, spdlog::level::level_enum level = spdlog::level::info,
                        const std::string& logger = "serve") {
  spdlog::details::log_msg msg(logger, level, text);
  msg.time = spdlog::log_clock::from_time_t(1795539600) + std::chrono::milliseconds(250);
  spdlog::memory_buf_t out;
  json_log_formatter().format(msg, out);
  return std::string(out.data(), out.size());
}

nlohmann::json parsed(const std::string& line) {
  BOOST_TEST_REQUIRE(!line.empty());
  BOOST_TEST(line.back() == '\n');
  BOOST_TEST(line.find('\n') == line.size() - 1);  // one line, whatever the message holds
  return nlohmann::json::parse(line);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_line_has_time_level_logger_and_message) {
  auto j = parsed(format_line("Stopped: reason=\"every run finished\"", spdlog::level::warn, "backflow"));
  BOOST_TEST(j["ts"] == "2026-11-24T17:00:00.250Z");
  BOOST_TEST(j["level"] == "warning");
  BOOST_TEST(j["logger"] == "backflow");
  BOOST_TEST(j["msg"] == "Stopped: reason=\"every run finished\"");
  BOOST_TEST(j["reason"] == "every run finished");
  // The fixed fields come first, for people reading the raw lines.
  BOOST_TEST(format_line("x").rfind("{\"ts\":", 0) == 0);
}

BOOST_AUTO_TEST_CASE(sync_and_run_become_fields) {
  auto j = parsed(format_line("Resuming: sync=pql_to_hubspot run=42 from_run=41"));
  BOOST_TEST(j["sync"] == "pql_to_hubspot");
  BOOST_TEST(j["run_id"] == 42);
  BOOST_TEST(j["from_run"] == 41);
  BOOST_TEST(!j.contains("run"));
}

BOOST_AUTO_TEST_CASE(values_keep_their_type_and_quotes_are_removed) {
  auto j = parsed(format_line(
      "Run finished: sync=a run=7 status=success duration_ms=1250 delivered=0 code=007 ratio=0.5 "
      "error=\"HTTP 500: \\\"busy\\\" again\" schedule=\"every 5m\""));
  BOOST_TEST(j["duration_ms"] == 1250);
  BOOST_TEST(j["delivered"] == 0);
  BOOST_TEST(j["code"] == "007");   // leading zeros stay text
  BOOST_TEST(j["ratio"] == "0.5");  // only whole numbers become numbers
  BOOST_TEST(j["status"] == "success");
  BOOST_TEST(j["error"] == "HTTP 500: \"busy\" again");
  BOOST_TEST(j["schedule"] == "every 5m");
}

BOOST_AUTO_TEST_CASE(quoted_values_keep_the_quotes_inside_them) {
  // Vendor answers are quoted verbatim: their JSON quotes used to cut the field short
  // ("reason":"HTTP 429: {").
  auto j = parsed(format_line(R"(Retrying: batch=b1 reason="HTTP 429: {"status":"error","errorType":"RATE_LIMIT"}" in_ms=250)"));
  BOOST_TEST(j["reason"] == R"(HTTP 429: {"status":"error","errorType":"RATE_LIMIT"})");
  BOOST_TEST(j["in_ms"] == 250);
  BOOST_TEST(j["batch"] == "b1");
  auto last = parsed(format_line(R"(Stopping delivery: reason="said "no" twice")"));
  BOOST_TEST(last["reason"] == R"(said "no" twice)");
  auto escaped = parsed(format_line(R"(X: reason="a "b" c" n=1)"));
  BOOST_TEST(escaped["reason"] == R"(a "b" c)");
}

BOOST_AUTO_TEST_CASE(a_message_without_pairs_has_only_the_fixed_fields) {
  auto j = parsed(format_line("Listening on 127.0.0.1:8484 (a = b, 2+2=4, =x)"));
  BOOST_TEST(j.size() == 4u);
}

BOOST_AUTO_TEST_CASE(pairs_cannot_shadow_the_fixed_fields) {
  auto j = parsed(format_line("Odd: msg=hijack level=debug logger=x ts=0 sync=s"));
  BOOST_TEST(j["msg"] == "Odd: msg=hijack level=debug logger=x ts=0 sync=s");
  BOOST_TEST(j["level"] == "info");
  BOOST_TEST(j["logger"] == "serve");
  BOOST_TEST(j["sync"] == "s");
}

BOOST_AUTO_TEST_CASE(control_characters_and_bad_utf8_still_give_one_valid_line) {
  auto j = parsed(format_line("Odd body: body=\"a\nb\tc\" raw=\xff\xfe"));
  BOOST_TEST(j["body"] == "a\nb\tc");
  BOOST_TEST(j.contains("raw"));
}

BOOST_AUTO_TEST_CASE(secrets_are_scrubbed_before_the_line_is_built) {
  register_secret("sk_live_\"quoted\\secret");
  auto j = parsed(format_line("Request failed: token=sk_live_\"quoted\\secret status=401"));
  BOOST_TEST(j["msg"] == "Request failed: token=*** status=401");
  BOOST_TEST(j["token"] == "***");
}

BOOST_AUTO_TEST_CASE(log_formats_parse) {
  BOOST_TEST((parse_log_format("json") == log_format::json));
  BOOST_TEST((parse_log_format("text") == log_format::text));
  BOOST_TEST(!parse_log_format("JSON").has_value());
}
