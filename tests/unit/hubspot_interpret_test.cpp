// HubSpot responses from fixture JSON: per-record results, 207 errors, splits, retries, rates.
#include <boost/test/unit_test.hpp>

#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;
using kind = batch_verdict::kind;
using outcome = record_outcome::kind;

namespace {

json result(const std::string& id, const std::string& email) {
  return {{"id", id}, {"properties", {{"email", email}, {"firstname", "x"}}}, {"archived", false}};
}

const std::vector<std::string> three = {"ann@x.com", "Bob@X.com", "cy@x.com"};

}  // namespace

BOOST_AUTO_TEST_SUITE(hubspot_responses)

BOOST_AUTO_TEST_CASE(results_are_matched_by_email_whatever_their_order) {
  auto batch = batch_of(delivery_op::upsert, three);
  auto body =
      json{{"status", "COMPLETE"},
           {"results",
            {result("303", "cy@x.com"), result("101", "ANN@x.com"), result("202", "bob@x.com")}}};
  auto v = hubspot().interpret(batch, response(200, body));
  BOOST_TEST((v.what == kind::per_record));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "101"));
  BOOST_TEST(delivered_as(v.outcomes[1], "202"));
  BOOST_TEST(delivered_as(v.outcomes[2], "303"));
}

BOOST_AUTO_TEST_CASE(results_without_the_id_property_fall_back_to_order) {
  auto batch = batch_of(delivery_op::upsert, three);
  json results = json::array();
  for (const char* id : {"11", "12", "13"})
    results.push_back({{"id", id}, {"properties", {{"firstname", "x"}}}});
  auto v = hubspot().interpret(batch, response(200, {{"results", results}}));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "11"));
  BOOST_TEST(delivered_as(v.outcomes[1], "12"));
  BOOST_TEST(delivered_as(v.outcomes[2], "13"));
}

BOOST_AUTO_TEST_CASE(a_missing_result_is_retryable) {
  auto batch = batch_of(delivery_op::upsert, three);
  auto v = hubspot().interpret(
      batch, response(200, {{"results", {result("101", "ann@x.com"), result("303", "cy@x.com")}}}));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "101"));
  BOOST_TEST((v.outcomes[1].what == outcome::retryable));
  BOOST_TEST(v.outcomes[1].reason == "HubSpot returned no result for this input");
  BOOST_TEST(delivered_as(v.outcomes[2], "303"));
}

BOOST_AUTO_TEST_CASE(update_207_rejects_only_the_records_not_found) {
  auto batch = batch_of(delivery_op::update, three);
  json body = {{"status", "COMPLETE"},
               {"results", {result("101", "ann@x.com"), result("303", "cy@x.com")}},
               {"numErrors", 1},
               {"errors",
                {{{"status", "error"},
                  {"category", "OBJECT_NOT_FOUND"},
                  {"message", "Could not get some CONTACT objects"},
                  {"context", {{"ids", {"bob@x.com"}}}}}}}};
  auto v = hubspot().interpret(batch, response(207, body));
  BOOST_TEST((v.what == kind::per_record));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "101"));
  BOOST_TEST((v.outcomes[1].what == outcome::rejected));
  BOOST_TEST(v.outcomes[1].reason.rfind("OBJECT_NOT_FOUND: no contacts record with email bob@x.com",
                                        0) == 0,
             v.outcomes[1].reason);
  BOOST_TEST(delivered_as(v.outcomes[2], "303"));
}

BOOST_AUTO_TEST_CASE(insert_conflicts_count_as_delivered_with_the_existing_id) {
  auto batch = batch_of(delivery_op::insert, {"ann@x.com", "Bob@x.com"});
  json body = {{"status", "COMPLETE"},
               {"results", {result("501", "ann@x.com")}},
               {"errors",
                {{{"category", "CONFLICT"},
                  {"message", "Contact already exists. Existing ID: 777"},
                  {"context", {{"objectWriteTraceId", {"Bob@x.com"}}}}}}}};
  auto v = hubspot().interpret(batch, response(207, body));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 2u);
  BOOST_TEST(delivered_as(v.outcomes[0], "501"));
  BOOST_TEST(delivered_as(v.outcomes[1], "777"));
  // The structured existingId wins over the message.
  body["errors"][0]["context"]["existingId"] = {"778"};
  BOOST_TEST(delivered_as(hubspot().interpret(batch, response(207, body)).outcomes[1], "778"));
}

BOOST_AUTO_TEST_CASE(other_207_errors_reject_with_category_and_message) {
  auto batch = batch_of(delivery_op::insert, {"a@x.com", "b@x.com"});
  json body = {{"results", {result("1", "a@x.com")}},
               {"errors",
                {{{"category", "VALIDATION_ERROR"},
                  {"message", "Property values were not valid"},
                  {"context", {{"objectWriteTraceId", {"b@x.com"}}}}}}}};
  auto v = hubspot().interpret(batch, response(207, body));
  BOOST_TEST((v.outcomes[1].what == outcome::rejected));
  BOOST_TEST(v.outcomes[1].reason == "VALIDATION_ERROR: Property values were not valid");
}

BOOST_AUTO_TEST_CASE(validation_errors_split_batches_and_reject_single_records) {
  json body = {{"status", "error"},
               {"category", "VALIDATION_ERROR"},
               {"message", "Property values were not valid: x"},
               {"correlationId", "c-1"},
               {"errors",
                {{{"message", "Property \"x\" does not exist"}, {"code", "PROPERTY_DOESNT_EXIST"}},
                 {{"message", "Invalid email"}, {"code", "INVALID_EMAIL"}}}}};
  auto five = batch_of(delivery_op::upsert, {"a@x", "b@x", "c@x", "d@x", "e@x"});
  BOOST_TEST((hubspot().interpret(five, response(400, body)).what == kind::split));
  auto one = batch_of(delivery_op::upsert, {"a@x"});
  auto v = hubspot().interpret(one, response(400, body));
  BOOST_TEST((v.what == kind::reject));
  BOOST_TEST(
      v.reason ==
      "VALIDATION_ERROR: Property values were not valid: x [PROPERTY_DOESNT_EXIST,INVALID_EMAIL]");
}

BOOST_AUTO_TEST_CASE(other_bad_requests_reject_without_splitting) {
  json body = {{"status", "error"}, {"category", "INVALID_PARAMS"}, {"message", "bad idProperty"}};
  auto v = hubspot().interpret(batch_of(delivery_op::upsert, {"a@x", "b@x", "c@x"}),
                               response(400, body));
  BOOST_TEST((v.what == kind::reject));
  BOOST_TEST(v.reason == "INVALID_PARAMS: bad idProperty");
}

BOOST_AUTO_TEST_CASE(rate_limited_requests_retry_after_at_least_a_second) {
  json body = {{"status", "error"},
               {"errorType", "RATE_LIMIT"},
               {"policyName", "TEN_SECONDLY_ROLLING"},
               {"message", "You have reached your secondly limit."}};
  auto batch = batch_of(delivery_op::upsert, {"a@x"});
  auto v = hubspot().interpret(batch, response(429, body));
  BOOST_TEST((v.what == kind::retry));
  BOOST_TEST(v.retry_after.count() == 1000);
  BOOST_TEST(v.reason.find("You have reached your secondly limit.") != std::string::npos, v.reason);
  auto told = hubspot().interpret(batch, response(429, body, {{"Retry-After", "3"}}));
  BOOST_TEST(told.retry_after.count() == 3000);
  auto server = hubspot().interpret(batch, response(502, json("bad gateway")));
  BOOST_TEST((server.what == kind::retry));
}

BOOST_AUTO_TEST_CASE(bad_credentials_stop_the_run) {
  json body = {{"status", "error"},
               {"category", "INVALID_AUTHENTICATION"},
               {"message", "Authentication credentials not found."}};
  auto v = hubspot().interpret(batch_of(delivery_op::upsert, {"a@x"}), response(401, body));
  BOOST_TEST((v.what == kind::fatal));
  BOOST_TEST(v.reason == "INVALID_AUTHENTICATION: Authentication credentials not found.");
  BOOST_TEST((hubspot()
                  .interpret(batch_of(delivery_op::upsert, {"a@x"}),
                             response(403, {{"category", "MISSING_SCOPES"}, {"message", "m"}}))
                  .what == kind::fatal));
}

BOOST_AUTO_TEST_CASE(archive_204_delivers_every_record) {
  auto v =
      hubspot().interpret(batch_of(delivery_op::remove, {"a@x", "b@x"}), response(204, nullptr));
  BOOST_TEST((v.what == kind::per_record));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 2u);
  BOOST_TEST((v.outcomes[1].what == outcome::delivered));
}

BOOST_AUTO_TEST_CASE(a_success_without_json_is_retried) {
  auto r = response(200, nullptr);
  r.body = "<html>gateway</html>";
  auto v = hubspot().interpret(batch_of(delivery_op::upsert, {"a@x"}), r);
  BOOST_TEST((v.what == kind::retry));
  BOOST_TEST(v.reason == "HubSpot answered 200 with a body that is not JSON");
}

BOOST_AUTO_TEST_CASE(rate_signals_come_from_headers_and_429_bodies) {
  auto hub = hubspot();
  auto quiet = hub.read_rate_signal(response(200, json::object()));
  BOOST_TEST(!quiet.pause);
  BOOST_TEST(!quiet.daily_remaining);
  BOOST_TEST(!quiet.advertised);

  auto s = hub.read_rate_signal(response(200, json::object(),
                                         {{"X-HubSpot-RateLimit-Daily", "1000000"},
                                          {"X-HubSpot-RateLimit-Daily-Remaining", "999123"},
                                          {"x-hubspot-ratelimit-max", "190"},
                                          {"X-HubSpot-RateLimit-Interval-Milliseconds", "10000"},
                                          {"X-HubSpot-RateLimit-Remaining", "180"}}));
  BOOST_TEST(*s.daily_remaining == 999123);
  BOOST_REQUIRE(s.advertised);
  BOOST_TEST(s.advertised->requests_per_window == 190.0);
  BOOST_TEST(s.advertised->window.count() == 10000);
  BOOST_TEST(s.advertised->daily == 1000000);
  BOOST_TEST(!s.pause);

  auto daily =
      hub.read_rate_signal(response(429, {{"errorType", "RATE_LIMIT"}, {"policyName", "DAILY"}},
                                    {{"X-HubSpot-RateLimit-Daily-Remaining", "12"}}));
  BOOST_TEST(*daily.daily_remaining == 0);
  BOOST_TEST(!daily.pause);
  auto secondly = hub.read_rate_signal(
      response(429, {{"errorType", "RATE_LIMIT"}, {"policyName", "TEN_SECONDLY_ROLLING"}}));
  BOOST_REQUIRE(secondly.pause);
  BOOST_TEST(secondly.pause->count() == 1000);
  BOOST_TEST(!secondly.daily_remaining);
  auto garbage = hub.read_rate_signal(
      response(200, json::object(), {{"X-HubSpot-RateLimit-Daily-Remaining", "lots"}}));
  BOOST_TEST(!garbage.daily_remaining);
}

BOOST_AUTO_TEST_CASE(a_lookup_reads_the_creates_by_their_id_property) {
  auto batch = batch_of(delivery_op::insert, three);
  auto req = hubspot().build_lookup(batch);
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/read");
  auto body = json::parse(req->body);
  BOOST_TEST(body["idProperty"] == "email");
  BOOST_TEST(body["inputs"] == json::parse(R"([{"id":"ann@x.com"},{"id":"bob@x.com"},{"id":"cy@x.com"}])"));
}

BOOST_AUTO_TEST_CASE(a_lookup_answer_finds_some_and_clears_the_rest_for_creation) {
  auto batch = batch_of(delivery_op::insert, three);
  json body = {{"status", "COMPLETE"},
               {"results", {result("202", "bob@x.com")}},
               {"numErrors", 1},
               {"errors", {{{"status", "error"}, {"category", "OBJECT_NOT_FOUND"},
                            {"context", {{"ids", {"ann@x.com", "cy@x.com"}}}}}}}};
  auto v = hubspot().interpret_lookup(batch, response(207, body));
  BOOST_TEST((v.what == kind::per_record));
  BOOST_REQUIRE_EQUAL(v.outcomes.size(), 3u);
  BOOST_TEST((v.outcomes[0].what == outcome::retryable));
  BOOST_TEST(delivered_as(v.outcomes[1], "202"));
  BOOST_TEST((v.outcomes[2].what == outcome::retryable));
}

BOOST_AUTO_TEST_CASE(a_failed_lookup_is_never_read_as_not_found) {
  auto batch = batch_of(delivery_op::insert, three);
  BOOST_TEST((hubspot().interpret_lookup(batch, response(200, json("oops"))).what == kind::retry));
  BOOST_TEST((hubspot().interpret_lookup(batch, response(503, json::object())).what == kind::retry));
  BOOST_TEST((hubspot().interpret_lookup(batch, response(401, json::object())).what == kind::fatal));
}

BOOST_AUTO_TEST_SUITE_END()
