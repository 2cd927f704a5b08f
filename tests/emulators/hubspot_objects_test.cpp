// The HubSpot emulator beyond contacts: deals, tickets, custom objects by name and type id, unique
// and required properties, and the v4 associations (expected answers from docs/connectors/hubspot.md).
#include <boost/test/unit_test.hpp>

#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using backflow::testing::http_post_json;
using nlohmann::json;

namespace hubspot_objects_parts {

const std::string auth = std::string("Authorization: Bearer ") + hubspot::token;

json keyed(const std::string& property, const std::string& id, const json& properties) {
  return {{"idProperty", property}, {"id", id}, {"properties", properties}};
}

/// POST /crm/v4/associations/{from}/{to}/batch/{action}.
backflow::testing::test_response v4(hubspot& hs, const std::string& from, const std::string& to,
                                    const std::string& action, const json& inputs) {
  return http_post_json(hs.url("/crm/v4/associations/" + from + "/" + to + "/batch/" + action),
                        {{"inputs", inputs}}, {auth});
}

}  // namespace hubspot_objects_parts

using namespace hubspot_objects_parts;

BOOST_AUTO_TEST_SUITE(hubspot_objects_api)

BOOST_AUTO_TEST_CASE(a_deal_is_created_only_with_its_stage_and_found_by_type_id) {
  hubspot hs;
  auto without = hs.batch("upsert", {keyed("deal_key", "D-1", {{"dealname", "Renewal"}})}, "deals");
  BOOST_TEST(without.status == 400);
  BOOST_TEST(without.json()["category"] == "VALIDATION_ERROR");
  BOOST_TEST(without.json()["errors"][0]["code"] == "REQUIRED_PROPERTY");
  BOOST_TEST(hs.records().empty());
  auto with = hs.batch("upsert", {keyed("deal_key", "D-1", {{"dealstage", "closedwon"}})}, "0-3");
  BOOST_REQUIRE_EQUAL(with.status, 200);
  BOOST_TEST(with.json()["results"][0]["properties"]["deal_key"] == "D-1");
  // Updating an existing deal needs no stage.
  BOOST_TEST(hs.batch("upsert", {keyed("deal_key", "D-1", {{"amount", "1"}})}, "deals").status ==
             200);
  auto tickets = hs.batch("upsert", {keyed("t", "T-1", {{"subject", "Help"}})}, "tickets");
  BOOST_TEST(tickets.status == 400);
  BOOST_TEST(hs.records()[0]["object"] == "deals");
}

BOOST_AUTO_TEST_CASE(a_declared_unique_property_is_the_only_id_property) {
  hubspot hs;
  hs.control_post("properties", {{"object", "companies"}, {"unique", {"account_key"}}});
  auto bad = hs.batch("upsert", {keyed("name", "Acme", {})}, "companies");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.json()["errors"][0]["code"] == "INVALID_ID_PROPERTY");
  BOOST_TEST(hs.batch("upsert", {keyed("account_key", "A-1", {})}, "companies").status == 200);
}

BOOST_AUTO_TEST_CASE(a_custom_object_exists_once_added_by_name_and_type_id) {
  hubspot hs;
  auto unknown = hs.batch("upsert", {keyed("serial", "S-1", {})}, "2-12345");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.json()["category"] == "OBJECT_NOT_FOUND");
  hs.control_post("objects", {{"name", "p_machines"}, {"object_type_id", "2-12345"}});
  BOOST_TEST(hs.batch("upsert", {keyed("serial", "S-1", {})}, "2-12345").status == 200);
  BOOST_TEST(hs.batch("upsert", {keyed("serial", "S-1", {{"x", "y"}})}, "p_machines").status ==
             200);
  auto held = hs.control_get("records?object=p_machines")["records"];
  BOOST_REQUIRE_EQUAL(held.size(), 1u);
  BOOST_TEST(held[0]["properties"]["x"] == "y");
  hs.control_post("reset");
  BOOST_TEST(hs.batch("upsert", {keyed("serial", "S-1", {})}, "2-12345").status == 404);
}

BOOST_AUTO_TEST_CASE(default_associations_are_made_read_from_both_sides_and_archived) {
  hubspot hs;
  hs.upsert_emails({"a@x.com"});  // id 1
  hs.batch("upsert", {keyed("domain", "acme.example", {})}, "companies");  // id 2
  auto made = v4(hs, "contacts", "companies", "associate/default",
                 json::array({{{"from", {{"id", "1"}}}, {"to", {{"id", "2"}}}}}));
  BOOST_REQUIRE_EQUAL(made.status, 200);
  BOOST_TEST(made.json()["results"][0]["associationSpec"]["associationTypeId"] == 279);
  // Linking again leaves one link.
  v4(hs, "0-1", "0-2", "associate/default",
     json::array({{{"from", {{"id", "1"}}}, {"to", {{"id", "2"}}}}}));
  BOOST_TEST(hs.control_get("records")["associations"].size() == 1u);
  auto read = v4(hs, "companies", "contacts", "read", json::array({{{"id", "2"}}}));
  BOOST_TEST(read.json()["results"][0]["to"][0]["toObjectId"] == 1);
  // A missing record: a 207 naming it, nothing linked.
  auto missing = v4(hs, "contacts", "companies", "associate/default",
                    json::array({{{"from", {{"id", "1"}}}, {"to", {{"id", "99"}}}}}));
  BOOST_TEST(missing.status == 207);
  BOOST_TEST(missing.json()["numErrors"] == 1);
  BOOST_TEST(missing.json()["results"].empty());
  auto gone = v4(hs, "contacts", "companies", "archive",
                 json::array({{{"from", {{"id", "1"}}}, {"to", json::array({{{"id", "2"}}})}}}));
  BOOST_TEST(gone.status == 204);
  BOOST_TEST(hs.control_get("records")["associations"].empty());
}

BOOST_AUTO_TEST_CASE(custom_objects_have_no_default_association_but_take_a_type) {
  hubspot hs;
  hs.control_post("objects", {{"name", "p_machines"}, {"object_type_id", "2-77"}});
  hs.batch("upsert", {keyed("serial", "S-1", {})}, "p_machines");  // id 1
  hs.batch("upsert", {keyed("domain", "acme.example", {})}, "companies");  // id 2
  auto plain = v4(hs, "2-77", "companies", "associate/default",
                  json::array({{{"from", {{"id", "1"}}}, {"to", {{"id", "2"}}}}}));
  BOOST_TEST(plain.status == 400);
  auto typed = v4(hs, "2-77", "companies", "create",
                  json::array({{{"from", {{"id", "1"}}}, {"to", {{"id", "2"}}},
                                {"types", json::array({{{"associationCategory", "USER_DEFINED"},
                                                        {"associationTypeId", 12}}})}}}));
  BOOST_TEST(typed.status == 201);
  BOOST_TEST(typed.json()["results"][0]["toObjectId"] == 2);
  // Archiving a record removes its links.
  hs.batch("archive", {json{{"id", "1"}}}, "p_machines");
  BOOST_TEST(hs.control_get("records")["associations"].empty());
}

BOOST_AUTO_TEST_SUITE_END()
