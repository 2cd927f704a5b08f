// `freshness` and `notify`: option parsing, timestamp reading, verdicts, the signed alert body.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "pipelines/sync/freshness.hpp"
#include "pipelines/sync/run_notifier.hpp"
#include "tests/unit/sync_config_fixture.hpp"
#include "tests/unit/unit_time.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

config_result parse_with(const json& patch) {
  auto doc = hubspot_sync_json();
  doc.merge_patch(patch);
  return parse_sync_config(doc.dump(), "/srv", test_env());
}

bool has_error(const config_result& r, const std::string& prefix) {
  for (const auto& e : r.errors.items())
    if (e.rfind(prefix, 0) == 0)
      return true;
  return false;
}

int64_t unix_of(const std::optional<system_clock::time_point>& t) {
  return t ? std::chrono::duration_cast<seconds>(t->time_since_epoch()).count() : -1;
}


}  // namespace

BOOST_AUTO_TEST_SUITE(freshness_notify)

BOOST_AUTO_TEST_CASE(freshness_and_notify_parse_with_defaults) {
  auto r = parse_with({{"freshness", {{"query", "SELECT max(updated_at) FROM pql"}, {"max_age", "2h"}}},
                       {"notify", {{"url", "https://alerts.example.com/hook"},
                                   {"secret", "${HOOK_SECRET}"}}}});
  BOOST_REQUIRE_MESSAGE(r.config.has_value(), (r.errors.items().empty() ? std::string() : r.errors.items()[0]));
  BOOST_REQUIRE(r.config->freshness);
  BOOST_TEST(r.config->freshness->query == "SELECT max(updated_at) FROM pql");
  BOOST_TEST(r.config->freshness->max_age.count() == 7'200'000);
  BOOST_REQUIRE(r.config->notify);
  BOOST_TEST(r.config->notify->secret == hook_secret);
  BOOST_TEST(r.config->notify->on ==
                 (std::vector<std::string>{"incomplete", "aborted", "config_error", "stale"}),
             boost::test_tools::per_element());
  BOOST_TEST(!r.config->notify->rejected_over);
  BOOST_TEST(r.config->redacted.dump().find(hook_secret) == std::string::npos);
  BOOST_TEST(r.config->redacted["notify"]["secret"] == "***");
}

BOOST_AUTO_TEST_CASE(absent_options_stay_unset) {
  auto r = parse_with(json::object());
  BOOST_REQUIRE(r.config);
  BOOST_TEST(!r.config->freshness);
  BOOST_TEST(!r.config->notify);
}

BOOST_AUTO_TEST_CASE(notify_on_reads_failed_as_incomplete_and_keeps_rejected_over) {
  auto r = parse_with({{"notify", {{"url", "http://127.0.0.1:9/n"},
                                   {"on", {"failed", "stale"}},
                                   {"rejected_over", 10}}}});
  BOOST_REQUIRE(r.config);
  BOOST_TEST(r.config->notify->on == (std::vector<std::string>{"incomplete", "stale"}),
             boost::test_tools::per_element());
  BOOST_TEST(*r.config->notify->rejected_over == 10u);
}

BOOST_AUTO_TEST_CASE(bad_options_are_reported_with_their_key_paths) {
  auto r = parse_with({{"freshness", {{"query", "SELECT 1"}, {"max_age", "soon"}}},
                       {"notify", {{"url", "ftp://x"}, {"on", {"stale", "exploded"}},
                                   {"rejected_over", -1}, {"colour", "red"}}}});
  BOOST_TEST(!r.config);
  BOOST_TEST(has_error(r, "freshness.max_age:"));
  BOOST_TEST(has_error(r, "notify.url:"));
  BOOST_TEST(has_error(r, "notify.on[1]: unknown run status \"exploded\""));
  BOOST_TEST(has_error(r, "notify.rejected_over:"));
  BOOST_TEST(has_error(r, "notify.colour: unknown key"));
  auto missing = parse_with({{"freshness", {{"max_age", "1h"}}}, {"notify", json::object()}});
  BOOST_TEST(has_error(missing, "freshness.query: is required"));
  BOOST_TEST(has_error(missing, "notify.url: is required"));
}

BOOST_AUTO_TEST_CASE(timestamps_in_the_usual_shapes_are_read) {
  const int64_t t = 1767225600;  // 2026-01-01T00:00:00Z
  BOOST_TEST(unix_of(parse_freshness_text("2026-01-01T00:00:00Z")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("2026-01-01 00:00:00")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("2026-01-01 02:00:00+02")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("2026-01-01T01:30:00.250+01:30")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("2025-12-31T19:00:00-0500")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("2026-01-01")) == t);
  BOOST_TEST(unix_of(parse_freshness_text("1767225600")) == t);
  BOOST_TEST(unix_of(parse_freshness_text(" 1767225600.5 ")) == t);
  BOOST_TEST(!parse_freshness_text("yesterday"));
  BOOST_TEST(!parse_freshness_text("2026-13-01"));
  BOOST_TEST(!parse_freshness_text("2026-01-01T00:00:00 UTC"));
  BOOST_TEST(!parse_freshness_text(""));
  BOOST_TEST(unix_of(parse_freshness_cell(cell::of_integer(t))) == t);
  BOOST_TEST(unix_of(parse_freshness_cell(cell::of_real(1767225600.9))) == t);
  // PostgreSQL 14+ returns extract(epoch ...) as numeric: an exact decimal cell.
  BOOST_TEST(unix_of(parse_freshness_cell(cell::of_decimal("1767225600.123456"))) == t);
  BOOST_TEST(!parse_freshness_cell(cell::of_decimal("not-a-number")).has_value());
  BOOST_TEST(!parse_freshness_cell(cell::of_bool(true)));
}

BOOST_AUTO_TEST_CASE(verdicts_name_the_value_its_age_and_max_age) {
  auto now = at(1767225600 + 3 * 3600 + 5 * 60);
  auto old = judge_freshness(cell::of_text("2026-01-01 00:00:00"), hours(2), now);
  BOOST_TEST(!old.fresh);
  BOOST_TEST(old.message.find("2026-01-01 00:00:00") != std::string::npos, old.message);
  BOOST_TEST(old.message.find("3h 5m old") != std::string::npos, old.message);
  BOOST_TEST(old.message.find("max_age 2h") != std::string::npos, old.message);
  BOOST_TEST(judge_freshness(cell::of_integer(1767225600), hours(4), now).fresh);
  BOOST_TEST(judge_freshness(cell::of_integer(1767225600 + 4 * 3600), hours(1), now).fresh);
  auto null = judge_freshness(cell::null_cell(), hours(1), now);
  BOOST_TEST(!null.fresh);
  BOOST_TEST(null.message.find("null") != std::string::npos);
  auto junk = judge_freshness(cell::of_text("last tuesday"), hours(1), now);
  BOOST_TEST(!junk.fresh);
  BOOST_TEST(junk.message.find("last tuesday") != std::string::npos);
  BOOST_TEST(describe_age(std::chrono::milliseconds(90'061'000)) == "1d 1h 1m 1s");
}

BOOST_AUTO_TEST_CASE(notify_triggers_on_listed_statuses_and_rejections) {
  notify_config n;
  n.url = "http://127.0.0.1:9/n";
  n.on = {"aborted", "stale"};
  run_summary s;
  s.status = run_status::aborted;
  BOOST_TEST(should_notify(n, s));
  s.status = run_status::success;
  BOOST_TEST(!should_notify(n, s));
  n.rejected_over = 10;
  s.status = run_status::partial;
  s.outcomes.rejected = 10;
  BOOST_TEST(!should_notify(n, s));
  s.outcomes.rejected = 11;
  BOOST_TEST(should_notify(n, s));
  s.status = run_status::planned;
  BOOST_TEST(!should_notify(n, s));
}

BOOST_AUTO_TEST_CASE(the_notification_is_signed_like_a_webhook_batch) {
  notify_config n;
  n.url = "http://127.0.0.1:9/n";
  n.secret = "whsec_" + base64_encode("notify-key");
  run_summary s;
  s.sync = "pql";
  s.run_id = 7;
  s.status = run_status::aborted;
  s.error = "a guard stopped the run";
  s.finished_at = "2026-01-01T00:00:00.000Z";
  for (int i = 0; i < 12; ++i)
    s.problems.push_back("problem " + std::to_string(i));
  auto req = notification_request(n, s, 1767225600);
  auto body = json::parse(req.body);
  BOOST_TEST(body["sync"] == "pql");
  BOOST_TEST(body["run_id"] == 7);
  BOOST_TEST(body["status"] == "aborted");
  BOOST_TEST(body["error"] == "a guard stopped the run");
  BOOST_TEST(body["problems"].size() == 10u);
  BOOST_TEST(body["counts"].contains("rejected"));
  BOOST_TEST(body["finished_at"] == "2026-01-01T00:00:00.000Z");
  std::map<std::string, std::string> headers;
  for (const auto& h : req.headers)
    headers[h.name] = h.value;
  BOOST_TEST(headers["webhook-timestamp"] == "1767225600");
  BOOST_TEST(headers["webhook-id"].rfind("msg_", 0) == 0);
  auto expected = "v1," + base64_encode(hmac_sha256(
                              "notify-key", headers["webhook-id"] + ".1767225600." + req.body));
  BOOST_TEST(headers["webhook-signature"] == expected);
  n.secret.clear();
  auto unsigned_req = notification_request(n, s, 1767225600);
  for (const auto& h : unsigned_req.headers)
    BOOST_TEST(h.name != "webhook-signature");
}

BOOST_AUTO_TEST_SUITE_END()
