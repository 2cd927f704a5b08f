// Read-back requests and answers of Zendesk, Intercom, Marketo and Braze, against fixture JSON
// written from the vendors' documented shapes (show_many, contacts/search with IN, Get Leads by
// Filter Type, /users/export/ids).
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/braze.hpp"
#include "connectors/destinations/intercom.hpp"
#include "connectors/destinations/marketo.hpp"
#include "connectors/destinations/zendesk.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace vendor_read_back {

http_response reply(long status, const std::string& body) {
  http_response r;
  r.status = status;
  r.body = body;
  return r;
}

bool has(const read_back_answer& a, const std::string& key) {
  return a.found.count(key) != 0;
}

}  // namespace vendor_read_back

BOOST_AUTO_TEST_SUITE(read_back_vendors)

using vendor_read_back::has;
using vendor_read_back::reply;

BOOST_AUTO_TEST_CASE(zendesk_show_many_by_external_ids_without_case) {
  zendesk_destination zd(context_for(zendesk_destination::type(),
                                     {{"url", "https://acme.zendesk.com"}, {"email", "a@acme.com"},
                                      {"api_token", "t0k3n"}}));
  BOOST_TEST(zd.read_back_size() == 100u);
  std::vector<read_back_key> keys = {{"Ann 1/ü", ""}, {"a,b", ""}, {"gone", ""}};
  auto req = zd.build_read_back(keys, {"name", "user_fields.score"});
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->method == "GET");
  // Percent-encoded, comma-separated; the key holding a comma cannot be named.
  BOOST_TEST(req->url == "https://acme.zendesk.com/api/v2/users/show_many.json?external_ids="
                         "Ann%201%2F%C3%BC,gone");
  auto got = zd.read_back(keys, {"name", "user_fields.score"}, reply(200, R"({"users":[
      {"id":1,"external_id":"ANN 1/ü","name":"Ann","active":true,
       "user_fields":{"score":12345678901234567.5}},
      {"id":2,"external_id":"gone","name":"Gone","active":false}],"count":2})"));
  BOOST_TEST(!got.retry);
  BOOST_TEST(!got.fatal);
  BOOST_REQUIRE(has(got, "Ann 1/ü"));  // Zendesk treats external ids without case
  BOOST_TEST(got.found["Ann 1/ü"]["user_fields.score"].text == "12345678901234567.5");
  BOOST_TEST(!has(got, "gone"));  // active false: deleted
  BOOST_TEST(got.unchecked == std::vector<std::string>({"a,b"}));
  BOOST_TEST(!zd.build_read_back({{"x,y", ""}}, {"name"}).has_value());
  BOOST_TEST(zd.read_back(keys, {"name"}, reply(429, "{}")).retry);
  BOOST_TEST(zd.read_back(keys, {"name"}, reply(200, R"({"organizations":[]})")).retry);
}

BOOST_AUTO_TEST_CASE(intercom_searches_with_in_and_reads_custom_attributes) {
  intercom_destination ic(context_for(intercom_destination::type(),
                                      {{"endpoint", "https://api.intercom.io"}, {"token", "tok"}}));
  BOOST_TEST(ic.read_back_size() == 15u);
  std::vector<read_back_key> keys = {{"u-1", "6100001"}, {"u-2", ""}, {"u-3", ""}};
  auto req = ic.build_read_back(keys, {"name", "score"});
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "https://api.intercom.io/contacts/search");
  BOOST_TEST(json::parse(req->body) ==
             json::parse(R"({"query":{"field":"external_id","operator":"IN","value":["u-1","u-2","u-3"]},
                             "pagination":{"per_page":150}})"));
  auto got = ic.read_back(keys, {"name", "score"}, reply(200, R"({"type":"list","data":[
      {"type":"contact","id":"6100001","external_id":"u-1","name":"Ann",
       "custom_attributes":{"score":9007199254740993}},
      {"type":"contact","id":"6100002","external_id":"U-2","name":"Not u-2"}],
      "total_count":2,"pages":{"type":"pages","page":1,"per_page":150,"total_pages":1}})"));
  BOOST_REQUIRE(has(got, "u-1"));
  BOOST_TEST(got.found["u-1"]["name"].text == "Ann");
  BOOST_TEST(got.found["u-1"]["score"].text == "9007199254740993");
  BOOST_TEST(!has(got, "u-2"));  // external ids match exactly
  BOOST_TEST(got.unchecked.empty());
  // A next page (never expected): the keys not seen are unread, not missing.
  auto paged = ic.read_back(keys, {"name"}, reply(200, R"({"type":"list","data":[
      {"external_id":"u-1","name":"Ann"}],"pages":{"next":{"starting_after":"x"}}})"));
  BOOST_TEST(paged.unchecked.size() == 2u);
  intercom_destination companies(context_for(
      intercom_destination::type(),
      {{"endpoint", "https://api.intercom.io"}, {"token", "tok"}, {"object", "companies"}}));
  BOOST_TEST(companies.read_back_size() == 0u);
}

BOOST_AUTO_TEST_CASE(marketo_queries_the_lookup_field_and_reads_failures_inside_200) {
  marketo_destination mk(context_for(marketo_destination::type(),
                                     {{"endpoint", "https://123-ABC-456.mktorest.com"},
                                      {"client_id", "id"}, {"client_secret", "secret"}}));
  BOOST_TEST(mk.read_back_size() == 300u);
  std::vector<read_back_key> keys = {{"ann@example.com", "1001"}, {"b,c@example.com", ""},
                                     {"gone@example.com", "1003"}};
  auto req = mk.build_read_back(keys, {"firstName", "email", "score"});
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "https://123-ABC-456.mktorest.com/rest/v1/leads.json?_method=GET");
  BOOST_TEST(req->body == "filterType=email&filterValues=ann%40example.com%2Cgone%40example.com"
                          "&fields=id%2Cemail%2CfirstName%2Cscore");
  auto got = mk.read_back(keys, {"firstName", "email", "score"}, reply(200, R"({"requestId":"1",
      "success":true,"result":[{"id":1001,"email":"Ann@Example.com","firstName":"Ann"}]})"));
  BOOST_REQUIRE(has(got, "ann@example.com"));  // emails match without case
  BOOST_TEST((got.found["ann@example.com"]["score"].what == read_value::kind::absent));
  BOOST_TEST(got.found["ann@example.com"].count("email") == 0u);  // the lookup field found it
  BOOST_TEST(!has(got, "gone@example.com"));
  BOOST_TEST(got.unchecked == std::vector<std::string>({"b,c@example.com"}));
  auto unknown = mk.read_back(keys, {"nope"}, reply(200, R"({"requestId":"2","success":false,
      "errors":[{"code":"1006","message":"Field 'nope' not found"}]})"));
  BOOST_TEST(unknown.fatal);
  BOOST_TEST(unknown.error.find("1006") != std::string::npos);
  BOOST_TEST(mk.read_back(keys, {"firstName"}, reply(200, R"({"success":false,
      "errors":[{"code":"606","message":"Max rate limit '100' exceeded with in '20' secs"}]})"))
                 .retry);
}

BOOST_AUTO_TEST_CASE(braze_exports_standard_fields_by_name_and_custom_ones_as_an_object) {
  braze_destination bz(context_for(braze_destination::type(),
                                   {{"endpoint", "https://rest.iad-01.braze.com"},
                                    {"api_key", "key"}}));
  BOOST_TEST(bz.read_back_size() == 50u);
  std::vector<read_back_key> keys = {{"u-1", ""}, {"u-2", ""}};
  auto req = bz.build_read_back(keys, {"first_name", "pql_score"});
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "https://rest.iad-01.braze.com/users/export/ids");
  BOOST_TEST(json::parse(req->body) ==
             json::parse(R"({"external_ids":["u-1","u-2"],
                             "fields_to_export":["external_id","first_name","custom_attributes"]})"));
  auto got = bz.read_back(keys, {"first_name", "pql_score"}, reply(201, R"({"message":"success",
      "users":[{"external_id":"u-1","first_name":"Ann",
                "custom_attributes":{"pql_score":12345678901234567890.123456789012345678}}],
      "invalid_user_ids":["u-2"]})"));
  BOOST_REQUIRE(has(got, "u-1"));
  BOOST_TEST(got.found["u-1"]["first_name"].text == "Ann");
  BOOST_TEST(got.found["u-1"]["pql_score"].text == "12345678901234567890.123456789012345678");
  BOOST_TEST(!has(got, "u-2"));
  BOOST_TEST(bz.read_back(keys, {"first_name"}, reply(401, "{}")).fatal);
}

BOOST_AUTO_TEST_CASE(emails_compare_without_case_and_nothing_else_does) {
  braze_destination bz(context_for(braze_destination::type(),
                                   {{"endpoint", "https://rest.iad-01.braze.com"},
                                    {"api_key", "key"}}));
  for (const auto& rules :
       {bz.read_back_rules_of(),
        zendesk_destination(context_for(zendesk_destination::type(),
                                        {{"url", "https://acme.zendesk.com"},
                                         {"email", "a@acme.com"}, {"api_token", "t"}}))
            .read_back_rules_of()}) {
    read_value lowered{read_value::kind::text, "ann.o'neil@example.com"};
    BOOST_TEST(same_value(cell::of_text("Ann.O'Neil@Example.COM"), lowered, rules, "email"));
    BOOST_TEST(!same_value(cell::of_text("Ann.O'Neil@Example.COM"), lowered, rules, "first_name"));
    BOOST_TEST(!same_value(cell::of_text("bob@example.com"), lowered, rules, "email"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
