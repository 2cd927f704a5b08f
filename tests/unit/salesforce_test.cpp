// Salesforce collections requests and answers, against fixture JSON.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/salesforce.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

salesforce_destination salesforce(const json& extra = json::object()) {
  json options = {{"instance_url", "http://127.0.0.1:8092"},
                  {"token", "00Dxx!sf-token"},
                  {"object", "Contact"},
                  {"external_id_field", "Ext_Id__c"}};
  options.merge_patch(extra);
  return salesforce_destination(context_for(salesforce_destination::type(), options));
}

json sf_error(const std::string& code, const std::string& message) {
  return json::array({{{"errorCode", code}, {"message", message}}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(salesforce_collections)

BOOST_AUTO_TEST_CASE(upserts_patch_the_collection_by_external_id) {
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2"});
  auto req = salesforce().build_request(b);
  BOOST_TEST(req.method == "PATCH");
  BOOST_TEST(req.url ==
             "http://127.0.0.1:8092/services/data/v59.0/composite/sobjects/Contact/Ext_Id__c");
  auto body = json::parse(req.body);
  BOOST_TEST(body["allOrNone"] == false);
  BOOST_REQUIRE(body["records"].size() == 2u);
  BOOST_TEST(body["records"][0]["attributes"]["type"] == "Contact");
  BOOST_TEST(body["records"][0]["Ext_Id__c"] == "A-1");
  BOOST_TEST(body["records"][1]["score"] == 2);
  BOOST_TEST(body["records"][0].contains("Id") == false);
  bool bearer = false;
  for (const auto& h : req.headers)
    bearer = bearer || (h.name == "Authorization" && h.value == "Bearer 00Dxx!sf-token");
  BOOST_TEST(bearer);
}

BOOST_AUTO_TEST_CASE(results_are_read_in_request_order) {
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2", "A-3"});
  json results = json::array(
      {{{"id", "003A"}, {"success", true}, {"errors", json::array()}, {"created", true}},
       {{"id", nullptr},
        {"success", false},
        {"errors", {{{"statusCode", "INVALID_EMAIL_ADDRESS"},
                     {"message", "Email: invalid email address: x"},
                     {"fields", {"Email"}}}}}},
       {{"id", nullptr},
        {"success", false},
        {"errors", {{{"statusCode", "UNABLE_TO_LOCK_ROW"}, {"message", "locked"}}}}}});
  auto v = salesforce().interpret(b, response(200, results));
  BOOST_TEST(delivered_as(v.outcomes[0], "003A"));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[1].reason ==
             "INVALID_EMAIL_ADDRESS: Email: invalid email address: x (fields: Email)");
  BOOST_TEST((v.outcomes[2].what == record_outcome::kind::retryable));
}

BOOST_AUTO_TEST_CASE(deletes_use_the_stored_ids_and_tolerate_deleted_records) {
  auto b = batch_of(delivery_op::remove, {"A-1", "A-2"});
  b.records.push_back(record("A-3", delivery_op::remove));  // never got an id
  auto req = salesforce().build_request(b);
  BOOST_TEST(req.method == "DELETE");
  BOOST_TEST(req.url == "http://127.0.0.1:8092/services/data/v59.0/composite/sobjects?"
                        "ids=hs-A-1,hs-A-2&allOrNone=false");
  json results = json::array(
      {{{"id", "hs-A-1"}, {"success", true}, {"errors", json::array()}},
       {{"id", "hs-A-2"},
        {"success", false},
        {"errors", {{{"statusCode", "ENTITY_IS_DELETED"}, {"message", "entity is deleted"}}}}}});
  auto v = salesforce().interpret(b, response(200, results));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::delivered));  // already gone
  BOOST_TEST((v.outcomes[2].what == record_outcome::kind::rejected));
}

BOOST_AUTO_TEST_CASE(whole_request_errors) {
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2"});
  auto sf = salesforce({{"rate_limit", {{"limit_pause", "20m"}}}});
  auto limit = sf.interpret(b, response(403, sf_error("REQUEST_LIMIT_EXCEEDED",
                                                      "TotalRequests Limit exceeded.")));
  BOOST_TEST((limit.what == batch_verdict::kind::retry));
  BOOST_TEST(limit.retry_after.count() == 20 * 60 * 1000);  // pause, not a quick retry
  auto field = sf.interpret(b, response(400, sf_error("INVALID_FIELD", "No such column 'Foo'")));
  BOOST_TEST((field.what == batch_verdict::kind::fatal));
  BOOST_TEST(field.reason.find("INVALID_FIELD: No such column 'Foo'") != std::string::npos);
  auto json_error = sf.interpret(b, response(400, sf_error("JSON_PARSER_ERROR", "bad value")));
  BOOST_TEST((json_error.what == batch_verdict::kind::split));
  auto session = sf.interpret(b, response(401, sf_error("INVALID_SESSION_ID", "expired")));
  BOOST_TEST((session.what == batch_verdict::kind::fatal));
  auto down = sf.interpret(b, response(503, sf_error("SERVER_UNAVAILABLE", "maintenance")));
  BOOST_TEST((down.what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(the_limit_header_feeds_the_daily_quota) {
  auto s = salesforce().read_rate_signal(
      response(200, json::array(), {{"Sforce-Limit-Info", "api-usage=25/15000"}}));
  BOOST_REQUIRE(s.daily_remaining);
  BOOST_TEST(*s.daily_remaining == 14975);
  BOOST_REQUIRE(s.advertised);
  BOOST_TEST(s.advertised->daily == 15000);
  auto exceeded = salesforce().read_rate_signal(
      response(403, sf_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")));
  BOOST_TEST(*exceeded.daily_remaining == 0);
  BOOST_TEST(exceeded.pause->count() == 3600 * 1000);  // the default limit_pause
}

BOOST_AUTO_TEST_CASE(bulk_jobs_above_the_threshold_only) {
  auto sf = salesforce({{"bulk_threshold", 10000}, {"bulk_job_size", 25000}});
  BOOST_TEST(sf.job_size(delivery_op::upsert, 10000) == 0u);
  BOOST_TEST(sf.job_size(delivery_op::upsert, 10001) == 25000u);
  BOOST_TEST(sf.job_size(delivery_op::remove, 50000) == 25000u);
  BOOST_TEST(salesforce({{"bulk_threshold", 0}}).job_size(delivery_op::upsert, 1000000) == 0u);
  BOOST_TEST(sf.account().find("sf-token") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_type_checks_key_and_version) {
  auto t = salesforce_destination::type();
  auto ctx = context_for(t, {{"instance_url", "https://x.my.salesforce.com"}, {"token", "t"},
                             {"object", "Contact"}, {"external_id_field", "E__c"}},
                         sync_mode::upsert, {"a", "b"});
  config_errors errors;
  t.check(ctx, "destination", errors);
  BOOST_TEST(has_prefix(errors.items(), "source.key: salesforce needs exactly one key column"));
  config_errors version_errors;
  validate_options({{"instance_url", "https://x.my.salesforce.com"}, {"token", "t"},
                    {"object", "Contact"}, {"external_id_field", "E__c"}, {"api_version", "59"}},
                   t.options, "destination", version_errors);
  BOOST_TEST(has_prefix(version_errors.items(),
                        "destination.api_version: must look like \"v59.0\", got \"59\""));
}

BOOST_AUTO_TEST_SUITE_END()
