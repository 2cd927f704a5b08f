// The Salesforce emulator's REST API over HTTP: auth, collections upsert and delete, reads, limits.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using backflow::testing::http_call;
using nlohmann::json;

namespace {

std::string code_of(const json& result) {
  return result["errors"].empty() ? "" : result["errors"][0]["statusCode"].get<std::string>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(salesforce_api)

BOOST_AUTO_TEST_CASE(requests_need_the_bearer_token) {
  salesforce sf({"--token", "sf-secret"});
  auto none =
      http_call("PATCH", sf.url("/services/data/v59.0/composite/sobjects/Contact/Ext_Id__c"),
                R"({"records":[]})");
  BOOST_TEST(none.status == 401);
  BOOST_TEST(none.json() ==
             json::parse(
                 R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"));
  BOOST_TEST(sf.upsert({salesforce::record("A-1")}).status == 401);  // the default token is not it
  auto ok = http_call("PATCH", sf.url("/services/data/v52.0/composite/sobjects/Contact/Ext_Id__c"),
                      json{{"records", {salesforce::record("A-1")}}}.dump(),
                      {"Authorization: Bearer sf-secret"});
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(sf.records().size() == 1u);
}

BOOST_AUTO_TEST_CASE(upsert_creates_then_updates_in_request_order) {
  salesforce sf;
  auto first =
      sf.upsert({salesforce::record("A-1", {{"Email", "a@x.com"}}),
                 salesforce::record("A-2", {{"LastName", "Two"}}), salesforce::record("A-3")});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  auto created = first.json();
  BOOST_REQUIRE_EQUAL(created.size(), 3u);
  std::vector<std::string> ids;
  for (const auto& r : created) {
    BOOST_TEST(r["success"] == true);
    BOOST_TEST(r["created"] == true);
    BOOST_TEST(r["errors"].empty());
    const auto id = r["id"].get<std::string>();
    BOOST_TEST(id.size() == 18u);
    BOOST_TEST(id.substr(0, 3) == "003");
    BOOST_TEST(id.substr(15) == "AAA");
    ids.push_back(id);
  }
  BOOST_TEST(ids[0] < ids[1]);
  BOOST_TEST(ids[1] < ids[2]);

  auto second =
      sf.upsert({salesforce::record("A-3", {{"LastName", "Three"}}), salesforce::record("A-4"),
                 salesforce::record("A-1", {{"Email", nullptr}, {"Score__c", 7}})});
  BOOST_REQUIRE_EQUAL(second.status, 200);
  auto updated = second.json();
  BOOST_TEST(updated[0]["id"] == ids[2]);
  BOOST_TEST(updated[0]["created"] == false);
  BOOST_TEST(updated[1]["created"] == true);
  BOOST_TEST(updated[2]["id"] == ids[0]);
  BOOST_TEST(updated[2]["created"] == false);

  auto a1 = sf.stored("A-1");
  BOOST_TEST(a1["fields"] == json({{"Ext_Id__c", "A-1"}, {"Email", nullptr}, {"Score__c", 7}}));
  BOOST_TEST(a1["writes"] == 2);
  BOOST_TEST(a1["object"] == "Contact");
  for (const auto& r : sf.records())
    BOOST_TEST(r["creations"] == 1);

  auto account =
      sf.upsert({salesforce::record("C-1", json::object(), "Account")}, false, "Account");
  BOOST_TEST(account.json()[0]["id"].get<std::string>().substr(0, 3) == "001");
  auto custom =
      sf.upsert({salesforce::record("C-1", json::object(), "Thing__c")}, false, "Thing__c");
  BOOST_TEST(custom.json()[0]["id"].get<std::string>().substr(0, 3) == "a00");
  BOOST_TEST(custom.json()[0]["created"] == true);  // another object, another key space
}

BOOST_AUTO_TEST_CASE(an_invalid_email_fails_only_its_record) {
  salesforce sf;
  auto r = sf.upsert({salesforce::record("A-1", {{"Email", "a@x.com"}}),
                      salesforce::record("A-2", {{"Email", "not-an-email"}}),
                      salesforce::record("A-3", {{"Email", nullptr}})});
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto results = r.json();
  BOOST_TEST(results[0]["success"] == true);
  BOOST_TEST(
      results[1] ==
      json::parse(R"({"id":null,"success":false,"errors":[{"statusCode":"INVALID_EMAIL_ADDRESS",
        "message":"Email: invalid email address: not-an-email","fields":["Email"]}]})"));
  BOOST_TEST(results[2]["success"] == true);
  BOOST_TEST(sf.records().size() == 2u);
  BOOST_TEST(sf.stored("A-2").is_null());
}

BOOST_AUTO_TEST_CASE(a_repeated_external_id_fails_every_copy) {
  salesforce sf;
  auto r =
      sf.upsert({salesforce::record("A-1"), salesforce::record("A-2"),
                 salesforce::record("A-1", {{"LastName", "again"}}), salesforce::record("A-3")});
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto results = r.json();
  for (int i : {0, 2}) {
    BOOST_TEST(results[i]["success"] == false);
    BOOST_TEST(code_of(results[i]) == "DUPLICATE_VALUE");
    BOOST_TEST(results[i]["errors"][0]["message"] == "Duplicate external id specified: A-1");
  }
  BOOST_TEST(results[1]["success"] == true);
  BOOST_TEST(results[3]["success"] == true);
  BOOST_TEST(sf.records().size() == 2u);
}

BOOST_AUTO_TEST_CASE(all_or_none_rolls_back_every_record) {
  salesforce sf;
  BOOST_REQUIRE_EQUAL(sf.upsert({salesforce::record("A-1", {{"LastName", "before"}})}).status, 200);
  auto r = sf.upsert({salesforce::record("A-1", {{"LastName", "after"}}),
                      salesforce::record("A-2", {{"Email", "bad"}}), salesforce::record("A-3")},
                     true);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto results = r.json();
  BOOST_TEST(code_of(results[0]) == "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  BOOST_TEST(results[0]["errors"][0]["message"] ==
             "Record rolled back because not all records were valid and the request was using "
             "AllOrNone header");
  BOOST_TEST(code_of(results[1]) == "INVALID_EMAIL_ADDRESS");
  BOOST_TEST(code_of(results[2]) == "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  BOOST_TEST(sf.records().size() == 1u);
  BOOST_TEST(sf.stored("A-1")["fields"]["LastName"] == "before");
  auto fine = sf.upsert(
      {salesforce::record("A-1", {{"LastName", "after"}}), salesforce::record("A-3")}, true);
  BOOST_TEST(fine.json()[1]["created"] == true);
  BOOST_TEST(sf.stored("A-1")["fields"]["LastName"] == "after");
}

BOOST_AUTO_TEST_CASE(more_than_200_records_fail_the_request) {
  salesforce sf;
  std::vector<json> records;
  for (int i = 0; i < 201; ++i)
    records.push_back(salesforce::record("K-" + std::to_string(i)));
  auto big = sf.upsert(records);
  BOOST_REQUIRE_EQUAL(big.status, 400);
  BOOST_TEST(big.json()[0]["errorCode"] == "EXCEEDED_MAX_SIZE_REQUEST");
  BOOST_TEST(sf.records().empty());
  records.pop_back();
  auto ok = sf.upsert(records);
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.json().size() == 200u);
  BOOST_TEST(sf.records().size() == 200u);
}

BOOST_AUTO_TEST_CASE(restricted_fields_and_bad_values_fail_the_whole_request) {
  salesforce sf;
  sf.control_post("fields", {{"object", "Contact"}, {"names", {"Ext_Id__c", "Email", "LastName"}}});
  auto unknown = sf.upsert({salesforce::record("A-1"), salesforce::record("A-2", {{"Foo", 1}})});
  BOOST_REQUIRE_EQUAL(unknown.status, 400);
  BOOST_TEST(
      unknown.json() ==
      json::parse(
          R"([{"message":"No such column 'Foo' on sobject of type Contact",
                "errorCode":"INVALID_FIELD"}])"));
  auto nested = sf.upsert({salesforce::record("A-1", {{"LastName", {{"a", 1}}}})});
  BOOST_REQUIRE_EQUAL(nested.status, 400);
  BOOST_TEST(nested.json()[0]["errorCode"] == "JSON_PARSER_ERROR");
  auto list = sf.upsert({salesforce::record("A-1", {{"Email", json::array({"x"})}})});
  BOOST_TEST(list.json()[0]["errorCode"] == "JSON_PARSER_ERROR");
  BOOST_TEST(sf.records().empty());
  auto case_insensitive = sf.upsert({salesforce::record("A-1", {{"lastname", "Lower"}})});
  BOOST_TEST(case_insensitive.status == 200);
  BOOST_TEST(sf.stored("A-1")["fields"]["LastName"] == "Lower");  // the declared spelling
  auto other_key = sf.upsert({salesforce::record("A-1")}, false, "Contact", "Other__c");
  BOOST_TEST(other_key.status == 404);
  BOOST_TEST(other_key.json()[0]["errorCode"] == "NOT_FOUND");
  sf.control_post("fields", {{"object", "Contact"}, {"names", nullptr}});
  BOOST_TEST(sf.upsert({salesforce::record("A-2", {{"Foo", 1}})}).status == 200);
}

BOOST_AUTO_TEST_CASE(per_record_problems_fail_only_their_record) {
  salesforce sf;
  json wrong_type = salesforce::record("A-1", json::object(), "Lead");
  json with_id = salesforce::record("A-2", {{"Id", "003000000000001AAA"}});
  json no_key = {{"attributes", {{"type", "Contact"}}}, {"LastName", "x"}};
  json null_key = salesforce::record("A-4");
  null_key["Ext_Id__c"] = nullptr;
  json too_long = salesforce::record("A-5", {{"LastName", std::string(256, 'x')}});
  json no_attributes = {{"Ext_Id__c", "A-6"}};
  json fine = salesforce::record("A-7", {{"LastName", std::string(255, 'x')}});
  auto r = sf.upsert({wrong_type, with_id, no_key, null_key, too_long, no_attributes, fine});
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto results = r.json();
  BOOST_TEST(code_of(results[0]) == "INVALID_FIELD");
  BOOST_TEST(code_of(results[1]) == "INVALID_FIELD");
  BOOST_TEST(results[1]["errors"][0]["message"] == "cannot specify Id in an upsert call");
  BOOST_TEST(code_of(results[2]) == "REQUIRED_FIELD_MISSING");
  BOOST_TEST(results[2]["errors"][0]["fields"] == json({"Ext_Id__c"}));
  BOOST_TEST(code_of(results[3]) == "REQUIRED_FIELD_MISSING");
  BOOST_TEST(code_of(results[4]) == "STRING_TOO_LONG");
  BOOST_TEST(code_of(results[5]) == "INVALID_TYPE");
  BOOST_TEST(results[6]["success"] == true);
  BOOST_TEST(sf.records().size() == 1u);
}

BOOST_AUTO_TEST_CASE(required_fields_apply_on_create_only) {
  salesforce sf;
  BOOST_REQUIRE_EQUAL(sf.upsert({salesforce::record("A-1", {{"LastName", "One"}})}).status, 200);
  sf.control_post("required", {{"object", "Contact"}, {"names", {"LastName"}}});
  auto r = sf.upsert({salesforce::record("A-1", {{"Email", "a@x.com"}}),
                      salesforce::record("A-2", {{"Email", "b@x.com"}}),
                      salesforce::record("A-3", {{"LastName", ""}}),
                      salesforce::record("A-4", {{"LastName", "Four"}})});
  auto results = r.json();
  BOOST_TEST(results[0]["success"] == true);  // an update
  BOOST_TEST(
      results[1] ==
      json::parse(R"({"id":null,"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING",
        "message":"Required fields are missing: [LastName]","fields":["LastName"]}]})"));
  BOOST_TEST(code_of(results[2]) == "REQUIRED_FIELD_MISSING");
  BOOST_TEST(results[3]["created"] == true);
  sf.control_post("reset");
  BOOST_TEST(sf.upsert({salesforce::record("A-2")}).json()[0]["success"] == true);
}

BOOST_AUTO_TEST_CASE(locked_rows_fail_n_times_then_succeed) {
  salesforce sf;
  sf.control_post("lock", {{"external_ids", {"A-1"}}, {"times", 2}});
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = sf.upsert({salesforce::record("A-1"), salesforce::record("A-2")}).json();
    BOOST_TEST(code_of(r[0]) == "UNABLE_TO_LOCK_ROW");
    BOOST_TEST(r[1]["success"] == true);
  }
  auto third = sf.upsert({salesforce::record("A-1")}).json();
  BOOST_TEST(third[0]["success"] == true);
  BOOST_TEST(third[0]["created"] == true);
  BOOST_TEST(sf.control_get("fields")["locks"].empty());
}

BOOST_AUTO_TEST_CASE(collections_delete_answers_per_id) {
  salesforce sf;
  auto ids = sf.upsert({salesforce::record("A-1"), salesforce::record("A-2")}).json();
  const auto a1 = ids[0]["id"].get<std::string>();
  const auto a2 = ids[1]["id"].get<std::string>();
  auto r = sf.call("DELETE",
                   "composite/sobjects?ids=" + a1 + ",003000000000099AAA,bogus&allOrNone=false");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto results = r.json();
  BOOST_TEST(results[0] == json({{"id", a1}, {"success", true}, {"errors", json::array()}}));
  BOOST_TEST(code_of(results[1]) == "INVALID_CROSS_REFERENCE_KEY");
  BOOST_TEST(results[1]["id"] == "003000000000099AAA");
  BOOST_TEST(code_of(results[2]) == "MALFORMED_ID");
  auto again = sf.call("DELETE", "composite/sobjects?ids=" + a1).json();
  BOOST_TEST(code_of(again[0]) == "ENTITY_IS_DELETED");
  auto all =
      sf.call("DELETE", "composite/sobjects?ids=" + a2 + "," + a1 + "&allOrNone=true").json();
  BOOST_TEST(code_of(all[0]) == "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  auto records = sf.records();
  BOOST_REQUIRE_EQUAL(records.size(), 2u);
  BOOST_TEST(records[0]["deleted"] == true);
  BOOST_TEST(records[1]["deleted"] == false);
  // Upserting a deleted key creates a new record: creations counts both.
  auto recreated = sf.upsert({salesforce::record("A-1")}).json();
  BOOST_TEST(recreated[0]["created"] == true);
  BOOST_TEST(recreated[0]["id"] != a1);
  BOOST_TEST(sf.records()[2]["creations"] == 2);
  BOOST_TEST(sf.call("DELETE", "composite/sobjects").status == 400);
}

BOOST_AUTO_TEST_CASE(records_are_read_by_external_id) {
  salesforce sf;
  auto id = sf.upsert({salesforce::record("A 1/x", {{"Email", "a@x.com"}})}).json()[0]["id"];
  auto found = sf.call("GET", "sobjects/Contact/Ext_Id__c/A%201%2Fx");
  BOOST_REQUIRE_EQUAL(found.status, 200);
  auto body = found.json();
  BOOST_TEST(body["Id"] == id);
  BOOST_TEST(body["Email"] == "a@x.com");
  BOOST_TEST(body["attributes"]["type"] == "Contact");
  BOOST_TEST(sf.call("GET", "sobjects/Contact/" + id.get<std::string>()).json()["Id"] == id);
  auto missing = sf.call("GET", "sobjects/Contact/Ext_Id__c/nope");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(
      missing.json() ==
      json::parse(
          R"([{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}])"));
}

BOOST_AUTO_TEST_CASE(daily_limit_answers_403_with_usage_header) {
  salesforce sf({"--daily", "3"});
  for (int i = 1; i <= 3; ++i) {
    auto r = sf.upsert({salesforce::record("A-" + std::to_string(i))});
    BOOST_REQUIRE_EQUAL(r.status, 200);
    BOOST_TEST(r.header("Sforce-Limit-Info") == "api-usage=" + std::to_string(i) + "/3");
  }
  auto over = sf.upsert({salesforce::record("A-4")});
  BOOST_REQUIRE_EQUAL(over.status, 403);
  BOOST_TEST(
      over.json() ==
      json::parse(
          R"([{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}])"));
  BOOST_TEST(over.header("Retry-After").empty());
  BOOST_TEST(over.header("Sforce-Limit-Info") == "api-usage=3/3");
  BOOST_TEST(sf.call("GET", "jobs/ingest").status == 403);  // bulk calls count too
  BOOST_TEST(sf.records().size() == 3u);
  sf.control_post("limits", {{"daily", 10}});
  auto more = sf.upsert({salesforce::record("A-4")});
  BOOST_TEST(more.status == 200);
  BOOST_TEST(more.header("Sforce-Limit-Info") == "api-usage=4/10");
  BOOST_TEST(sf.call("GET", "limits").json()["DailyApiRequests"] ==
             json({{"Max", 10}, {"Remaining", 5}}));
}

BOOST_AUTO_TEST_CASE(garbage_gets_the_vendor_error_shape) {
  salesforce sf;
  for (const std::string body : {"", "{", "[]", "null", R"({"records":{}})", R"({"records":[1]})",
                                 R"({"records":[],"allOrNone":"yes"})", "\xff\xfe"}) {
    auto r = sf.call("PATCH", "composite/sobjects/Contact/Ext_Id__c", body);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.json()[0]["errorCode"] == "JSON_PARSER_ERROR");
  }
  auto unknown = sf.call("GET", "nothing/here");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.json()[0]["errorCode"] == "NOT_FOUND");
  BOOST_TEST(sf.call("POST", "composite/sobjects/Contact/Ext_Id__c", "{}").status == 405);
  auto odd_path = http_call("GET", sf.url("/services/data/v59.0/sobjects/%FF%FE/x/y"), {},
                            {"Authorization: Bearer emulator-token"});
  BOOST_TEST(odd_path.status == 404);
  BOOST_TEST(sf.control_get("requests")["count"].get<int>() >= 10);
  BOOST_TEST(sf.control_get("health")["emulator"] == "salesforce");
}

BOOST_AUTO_TEST_CASE(faults_apply_to_salesforce_requests) {
  salesforce sf;
  sf.fault({{"match", {{"method", "PATCH"}, {"path_contains", "composite/sobjects"}}},
            {"status", 503},
            {"body", R"([{"errorCode":"SERVER_UNAVAILABLE","message":"down"}])"}});
  auto failed = sf.upsert({salesforce::record("A-1")});
  BOOST_TEST(failed.status == 503);
  BOOST_TEST(failed.json()[0]["errorCode"] == "SERVER_UNAVAILABLE");
  BOOST_TEST(sf.records().empty());
  BOOST_TEST(sf.upsert({salesforce::record("A-1")}).status == 200);
  auto log = sf.requests();
  const auto& upserts =
      log["by_endpoint"]["PATCH /services/data/vXX.X/composite/sobjects/Contact/Ext_Id__c"];
  BOOST_TEST(upserts["requests"] == 2);
  BOOST_TEST(upserts["inputs"] == 2);
}

BOOST_AUTO_TEST_SUITE_END()
