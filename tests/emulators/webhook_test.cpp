// The webhook emulator over HTTP: signatures, validation, idempotency, deletes, rules and limits.
#include <boost/test/unit_test.hpp>

#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using nlohmann::json;

namespace {

json upsert(const std::string& key, const json& fields) {
  return {{"op", "upsert"}, {"key", key}, {"fields", fields}};
}
json erase(const std::string& key) {
  return {{"op", "delete"}, {"key", key}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhook_api)

BOOST_AUTO_TEST_CASE(signed_batches_are_applied) {
  webhook wh;
  auto r = wh.send(
      "msg_1", webhook::batch({upsert("k1", {{"email", "a@x.com"}}), upsert("k2", {{"n", 2}})}));
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.json() == json({{"received", 2}}));
  auto stored = wh.control_get("records");
  BOOST_REQUIRE_EQUAL(stored["records"].size(), 2u);
  BOOST_TEST(stored["records"][0]["key"] == "k1");
  BOOST_TEST(stored["records"][0]["fields"] == json({{"email", "a@x.com"}}));
  BOOST_TEST(stored["records"][1]["upserts"] == 1);
  BOOST_TEST(stored["duplicates"] == 0);
  auto log = wh.control_get("requests");
  BOOST_TEST(log["by_endpoint"]["POST /hooks/backflow"]["inputs"] == 2);
}

BOOST_AUTO_TEST_CASE(bad_or_stale_signatures_are_refused) {
  webhook wh;
  const auto body = webhook::batch({upsert("k1", {{"a", 1}})});
  auto bad = wh.send("msg_1", body, 0, "v1,c2lnbmF0dXJl");
  BOOST_TEST(bad.status == 401);
  BOOST_TEST(bad.json() == json({{"error", "invalid signature"}}));
  auto stale = wh.send("msg_2", body, -600);
  BOOST_TEST(stale.status == 400);
  auto future = wh.send("msg_3", body, 600);
  BOOST_TEST(future.status == 400);
  auto unsigned_request =
      backflow::testing::http_post_json(wh.url("/hooks/backflow"), json::parse(body));
  BOOST_TEST(unsigned_request.status >= 400);
  BOOST_TEST(unsigned_request.status < 500);
  BOOST_TEST(wh.control_get("records")["records"].empty());
  BOOST_TEST(wh.send("msg_4", body, -200).status == 200);  // within five minutes
}

BOOST_AUTO_TEST_CASE(a_raw_secret_signs_with_its_own_bytes) {
  webhook wh({}, "plain-secret");
  BOOST_TEST(wh.send("msg_1", webhook::batch({upsert("k", json::object())})).status == 200);
}

BOOST_AUTO_TEST_CASE(a_repeated_webhook_id_is_not_applied_twice) {
  webhook wh;
  const auto body = webhook::batch({upsert("k1", {{"a", 1}})});
  BOOST_TEST(wh.send("msg_1", body).status == 200);
  auto again = wh.send("msg_1", body);
  BOOST_TEST(again.status == 200);
  BOOST_TEST(again.json()["received"] == 1);
  auto stored = wh.control_get("records");
  BOOST_TEST(stored["records"][0]["upserts"] == 1);
  BOOST_TEST(stored["duplicates"] == 1);
  BOOST_TEST(wh.control_get("requests")["count"] == 2);
}

BOOST_AUTO_TEST_CASE(deletes_mark_records_and_upserts_revive_them) {
  webhook wh;
  wh.send("m1", webhook::batch({upsert("k1", {{"a", 1}}), upsert("k2", {{"b", 2}})}));
  BOOST_TEST(wh.send("m2", webhook::batch({erase("k1"), erase("ghost")})).status == 200);
  auto stored = wh.control_get("records")["records"];
  BOOST_REQUIRE_EQUAL(stored.size(), 3u);
  BOOST_TEST(stored[1]["key"] == "k1");
  BOOST_TEST(stored[1]["deleted"] == true);
  BOOST_TEST(stored[1]["deletes"] == 1);
  BOOST_TEST(stored[0]["key"] == "ghost");
  BOOST_TEST(stored[0]["deleted"] == true);
  wh.send("m3", webhook::batch({upsert("k1", {{"a", 3}})}));
  stored = wh.control_get("records")["records"];
  BOOST_TEST(stored[1]["deleted"] == false);
  BOOST_TEST(stored[1]["fields"] == json({{"a", 3}}));
  BOOST_TEST(stored[1]["upserts"] == 2);
}

BOOST_AUTO_TEST_CASE(reject_rule_fails_the_whole_batch_with_422) {
  webhook wh;
  wh.control_post("rules", {{"reject_if", {{"field", "email"}, {"contains", "invalid"}}}});
  auto r = wh.send("m1", webhook::batch({upsert("k1", {{"email", "ok@x.com"}}),
                                         upsert("k2", {{"email", "invalid@x.com"}})}));
  BOOST_REQUIRE_EQUAL(r.status, 422);
  BOOST_TEST(r.json()["error"] == "record k2: field email is invalid");
  BOOST_TEST(wh.control_get("records")["records"].empty());
  BOOST_TEST(wh.send("m2", webhook::batch({upsert("k1", {{"email", "ok@x.com"}})})).status == 200);
  wh.control_post("reset");
  BOOST_TEST(wh.control_get("rules")["rules"].empty());
  auto after_reset = wh.send("m1", webhook::batch({upsert("k2", {{"email", "invalid@x.com"}})}));
  BOOST_TEST(after_reset.status == 200);
}

BOOST_AUTO_TEST_CASE(malformed_batches_are_400_and_name_the_record) {
  webhook wh;
  BOOST_TEST(wh.send("m1", "{not json").status == 400);
  BOOST_TEST(wh.send("m2", R"({"records":{}})").status == 400);
  auto bad_op = wh.send(
      "m3", webhook::batch({upsert("k1", json::object()), {{"op", "merge"}, {"key", "k2"}}}));
  BOOST_REQUIRE_EQUAL(bad_op.status, 400);
  const auto message = bad_op.json()["error"].get<std::string>();
  BOOST_TEST(message.find("record 1") != std::string::npos);
  BOOST_TEST(message.find("k2") != std::string::npos);
  const json empty_key = {{"op", "upsert"}, {"key", ""}, {"fields", json::object()}};
  BOOST_TEST(wh.send("m4", webhook::batch({empty_key})).status == 400);
  const json fields_not_object = {{"op", "upsert"}, {"key", "k"}, {"fields", "x"}};
  BOOST_TEST(wh.send("m5", webhook::batch({fields_not_object})).status == 400);
  BOOST_TEST(wh.control_get("records")["records"].empty());
}

BOOST_AUTO_TEST_CASE(batch_size_and_rate_limits) {
  webhook wh({"--max-batch", "2"});
  const auto none = json::object();
  auto big =
      wh.send("m1", webhook::batch({upsert("a", none), upsert("b", none), upsert("c", none)}));
  BOOST_TEST(big.status == 413);
  BOOST_TEST(wh.send("m2", webhook::batch({upsert("a", none)})).status == 200);
  wh.control_post("limits", {{"per_second", 1}});
  BOOST_TEST(wh.send("m3", webhook::batch({upsert("b", none)})).status == 200);
  auto limited = wh.send("m4", webhook::batch({upsert("c", none)}));
  BOOST_REQUIRE_EQUAL(limited.status, 429);
  BOOST_TEST(limited.header("Retry-After") == "1");
}

BOOST_AUTO_TEST_CASE(faults_apply_to_webhooks_too) {
  webhook wh;
  wh.control_post("faults", {{"status", 503}, {"headers", {{"Retry-After", "2"}}}});
  auto r = wh.send("m1", webhook::batch({upsert("a", json::object())}));
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.header("Retry-After") == "2");
  BOOST_TEST(wh.control_get("records")["records"].empty());
  auto retried = wh.send("m1", webhook::batch({upsert("a", json::object())}));
  BOOST_TEST(retried.status == 200);  // the retry applies
}

BOOST_AUTO_TEST_SUITE_END()
