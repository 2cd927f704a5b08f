// Read-back requests and answers of HubSpot and Salesforce, against fixture JSON written from the
// vendors' documented shapes (HubSpot batch/read, Salesforce sObject Collections retrieve).
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/salesforce.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

http_response answer(long status, const std::string& body) {
  http_response r;
  r.status = status;
  r.body = body;
  return r;
}

salesforce_destination salesforce_contacts() {
  json options = {{"instance_url", "http://127.0.0.1:8092"},
                  {"token", "00Dxx!sf-token"},
                  {"object", "Contact"},
                  {"external_id_field", "Ext_Id__c"}};
  return salesforce_destination(context_for(salesforce_destination::type(), options));
}

const std::vector<std::string> fields = {"email", "firstname", "score"};

}  // namespace

BOOST_AUTO_TEST_SUITE(read_back_connectors)

BOOST_AUTO_TEST_CASE(hubspot_reads_by_the_id_property_and_reports_missing_records) {
  auto hs = hubspot();
  BOOST_TEST(hs.read_back_size() == 100u);
  std::vector<read_back_key> keys = {{"ann@example.com", "101"}, {"bob@example.com", "102"}};
  auto req = hs.build_read_back(keys, fields);
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/read");
  auto body = json::parse(req->body);
  BOOST_TEST(body["idProperty"] == "email");
  BOOST_TEST(body["properties"] == json::array({"email", "firstname", "score"}));
  BOOST_TEST(body["inputs"] == json::parse(R"([{"id":"ann@example.com"},{"id":"bob@example.com"}])"));
  // 207: Bob is not found; Ann's email comes back as HubSpot stores it, score as text.
  auto got = hs.read_back(keys, fields, answer(207, R"({"status":"COMPLETE","results":[
      {"id":"101","properties":{"email":"Ann@Example.com","firstname":null,"score":"12345678901234567890.5"},
       "archived":false}],
      "numErrors":1,"errors":[{"category":"OBJECT_NOT_FOUND","context":{"ids":["bob@example.com"]}}]})"));
  BOOST_TEST(!got.fatal);
  BOOST_REQUIRE(got.found.count("ann@example.com") == 1u);
  BOOST_TEST(got.found.count("bob@example.com") == 0u);
  const auto& ann = got.found["ann@example.com"];
  BOOST_TEST(ann.count("email") == 0u);  // the id property matched the record: not compared
  BOOST_TEST((ann.at("firstname").what == read_value::kind::null));
  BOOST_TEST(ann.at("score").text == "12345678901234567890.5");
}

BOOST_AUTO_TEST_CASE(hubspot_failures_are_retried_or_stop_the_check) {
  auto hs = hubspot();
  std::vector<read_back_key> keys = {{"ann@example.com", ""}};
  BOOST_TEST(hs.read_back(keys, fields, answer(503, "")).retry);
  BOOST_TEST(hs.read_back(keys, fields, answer(429, "{}")).retry);
  BOOST_TEST(hs.read_back(keys, fields, answer(401, "{}")).fatal);
  BOOST_TEST(hs.read_back(keys, fields, answer(200, "not json")).retry);
}

BOOST_AUTO_TEST_CASE(salesforce_retrieves_by_kept_ids_with_exact_numbers) {
  auto sf = salesforce_contacts();
  BOOST_TEST(sf.read_back_size() == 200u);
  std::vector<read_back_key> keys = {
      {"A-1", "003000000000001AAA"}, {"A-2", "003000000000002AAA"}, {"A-3", ""}};
  const std::vector<std::string> sf_fields = {"Email", "Score__c"};
  auto req = sf.build_read_back(keys, sf_fields);
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->method == "POST");
  BOOST_TEST(req->url == "http://127.0.0.1:8092/services/data/v59.0/composite/sobjects/Contact");
  BOOST_TEST(json::parse(req->body) ==
             json::parse(R"({"ids":["003000000000001AAA","003000000000002AAA"],
                             "fields":["Id","Ext_Id__c","Email","Score__c"]})"));
  // One entry per id in request order; null for a deleted record. Field names as Salesforce
  // spells them, whatever the case the mapping used.
  auto got = sf.read_back(keys, sf_fields, answer(200, R"([
      {"attributes":{"type":"Contact"},"Id":"003000000000001AAA","email":"a@x.com",
       "Score__c":9007199254740993.25},
      null])"));
  BOOST_TEST(!got.fatal);
  BOOST_TEST(got.unchecked == std::vector<std::string>{"A-3"});
  BOOST_REQUIRE(got.found.count("A-1") == 1u);
  BOOST_TEST(got.found.count("A-2") == 0u);
  BOOST_TEST(got.found["A-1"].at("Email").text == "a@x.com");
  BOOST_TEST(got.found["A-1"].at("Score__c").text == "9007199254740993.25");  // not a double's
  BOOST_TEST(!sf.build_read_back({{"A-3", ""}}, sf_fields).has_value());  // nothing to look up
}

BOOST_AUTO_TEST_CASE(salesforce_an_unknown_field_stops_the_check) {
  auto sf = salesforce_contacts();
  std::vector<read_back_key> keys = {{"A-1", "003000000000001AAA"}};
  auto got = sf.read_back(keys, {"Nope__c"}, answer(400, R"([{"errorCode":"INVALID_FIELD",
      "message":"No such column 'Nope__c' on entity 'Contact'"}])"));
  BOOST_TEST(got.fatal);
  BOOST_TEST(got.error.find("INVALID_FIELD") != std::string::npos);
  BOOST_TEST(sf.read_back(keys, {"Email"}, answer(503, "[]")).retry);
}

BOOST_AUTO_TEST_CASE(a_destination_without_read_back_says_so) {
  webhook_destination hook(context_for(webhook_destination::type(),
                                       {{"endpoint", "http://127.0.0.1:9000/hooks/backflow"}}));
  BOOST_TEST(hook.read_back_size() == 0u);
  BOOST_TEST(!hook.build_read_back({{"k", ""}}, {"f"}).has_value());
  BOOST_TEST(hook.read_back({{"k", ""}}, {"f"}, answer(200, "{}")).fatal);
}

BOOST_AUTO_TEST_SUITE_END()
