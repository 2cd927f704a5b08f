// HubSpot requests from fixture batches: body shape per op, URLs, auth, limits and account ids.
#include <boost/test/unit_test.hpp>

#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(hubspot_requests)

BOOST_AUTO_TEST_CASE(upsert_sends_inputs_by_id_property) {
  auto hub = hubspot();
  auto batch = batch_of(delivery_op::upsert, {"Ann@Example.COM"});
  batch.records.push_back(
      record("bob@x.com", delivery_op::upsert, encode_row({null(), real(2.5)})));
  auto req = hub.build_request(batch);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/upsert");
  BOOST_TEST(header_of(req, "Authorization") == "Bearer " + hub_token);
  BOOST_TEST(header_of(req, "Content-Type") == "application/json");
  BOOST_TEST(
      json::parse(req.body) == json({{"inputs",
                                      {{{"idProperty", "email"},
                                        {"id", "ann@example.com"},
                                        {"properties", {{"firstname", "Ann"}, {"score", 1}}}},
                                       {{"idProperty", "email"},
                                        {"id", "bob@x.com"},
                                        {"properties", {{"firstname", ""}, {"score", 2.5}}}}}}}),
      req.body);
}

BOOST_AUTO_TEST_CASE(update_uses_the_same_inputs_on_its_own_path) {
  auto req = hubspot().build_request(batch_of(delivery_op::update, {"a@x.com"}));
  BOOST_TEST(req.url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/update");
  BOOST_TEST(
      json::parse(req.body) ==
      json({{"inputs", json::array({json{{"idProperty", "email"},
                                         {"id", "a@x.com"},
                                         {"properties", {{"firstname", "a"}, {"score", 1}}}}})}}));
}

BOOST_AUTO_TEST_CASE(insert_creates_with_trace_ids_and_the_id_property) {
  auto req = hubspot().build_request(batch_of(delivery_op::insert, {"Ann@Example.COM", "b@x.com"}));
  BOOST_TEST(req.url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/create");
  auto body = json::parse(req.body);
  BOOST_REQUIRE_EQUAL(body["inputs"].size(), 2u);
  BOOST_TEST(
      body["inputs"][0] ==
      json({{"properties", {{"firstname", "Ann"}, {"score", 1}, {"email", "ann@example.com"}}},
            {"objectWriteTraceId", "Ann@Example.COM"}}));
  BOOST_TEST(body["inputs"][1]["objectWriteTraceId"] == "b@x.com");
}

BOOST_AUTO_TEST_CASE(remove_archives_by_the_stored_hubspot_id) {
  auto req = hubspot().build_request(batch_of(delivery_op::remove, {"a@x.com", "b@x.com"}));
  BOOST_TEST(req.url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/archive");
  BOOST_TEST(json::parse(req.body) ==
             json({{"inputs", {{{"id", "hs-a@x.com"}}, {{"id", "hs-b@x.com"}}}}}));
}

BOOST_AUTO_TEST_CASE(companies_keep_the_key_as_given) {
  auto hub = hubspot({{"object", "companies"}, {"id_property", "domain"}});
  auto req = hub.build_request(batch_of(delivery_op::upsert, {"Example.COM"}));
  BOOST_TEST(req.url == "http://127.0.0.1:8090/crm/v3/objects/companies/batch/upsert");
  auto input = json::parse(req.body)["inputs"][0];
  BOOST_TEST(input["idProperty"] == "domain");
  BOOST_TEST(input["id"] == "Example.COM");
}

BOOST_AUTO_TEST_CASE(batch_sizes_and_limits_come_from_options) {
  auto defaults = hubspot();
  BOOST_TEST(defaults.batch_size(delivery_op::upsert) == 100u);
  BOOST_TEST(defaults.batch_size(delivery_op::remove) == 100u);
  BOOST_TEST(!defaults.mixes_ops());
  auto limits = defaults.rate_limits();
  BOOST_TEST(limits.requests_per_window == 100.0);
  BOOST_TEST(limits.window.count() == 10000);
  BOOST_TEST(limits.daily == 250000);
  auto pro = hubspot({{"batch_size", 40}, {"rate_limit", {{"per_10s", 190}, {"daily", 1000000}}}});
  BOOST_TEST(pro.batch_size(delivery_op::insert) == 40u);
  BOOST_TEST(pro.rate_limits().requests_per_window == 190.0);
  BOOST_TEST(pro.rate_limits().daily == 1000000);
}

BOOST_AUTO_TEST_CASE(the_account_names_endpoint_and_credential_without_the_token) {
  auto a = hubspot().account();
  BOOST_TEST(a.rfind("hubspot:http://127.0.0.1:8090#", 0) == 0, a);
  BOOST_TEST(a.find(hub_token) == std::string::npos);
  BOOST_TEST(a.find("pat-") == std::string::npos);
  BOOST_TEST(hubspot({{"object", "companies"}, {"id_property", "domain"}}).account() == a);
  BOOST_TEST(hubspot({{"token", "another-token"}}).account() != a);
}

// Syncs share a rate limiter by account; "https://api.hubapi.com" and "https://api.hubapi.com/"
// are the same HubSpot account, but the endpoint is used verbatim, giving two limiters.
BOOST_AUTO_TEST_CASE(a_trailing_slash_does_not_make_another_account) {
  BOOST_TEST(hubspot({{"endpoint", "https://api.hubapi.com"}}).account() ==
             hubspot({{"endpoint", "https://api.hubapi.com/"}}).account());
}

BOOST_AUTO_TEST_CASE(the_type_declares_modes_and_checks) {
  auto t = hubspot_destination::type();
  BOOST_TEST(t.name == "hubspot");
  BOOST_TEST((t.modes == std::vector<sync_mode>({sync_mode::upsert, sync_mode::update,
                                                 sync_mode::insert, sync_mode::mirror})));
  config_errors errors;
  auto ctx = context_for(t, {{"token", "t"}}, sync_mode::upsert, {"a", "b"});
  t.check(ctx, "destination", errors);
  BOOST_TEST(
      errors.items() ==
      std::vector<std::string>({"source.key: hubspot needs exactly one key column: its value is "
                                "the input's id (email)"}));
  auto made = t.make(context_for(t, {{"token", "t"}}));
  BOOST_TEST(made->batch_size(delivery_op::upsert) == 100u);
}

BOOST_AUTO_TEST_SUITE_END()
