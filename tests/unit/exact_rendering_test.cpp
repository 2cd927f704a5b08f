// Every connector renders hostile values exactly: decimals digit for digit, reals shortest, bytes base64.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/meta_identifiers.hpp"
#include "connectors/destinations/salesforce.hpp"
#include "connectors/destinations/zendesk.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

const std::string d38 = "-1234567890123456789012345678.0123456789";

/// One upsert record with fields a..f: a decimal past a double, an integer past 2^53, a
/// 38-digit decimal, 19.99, 1e-7 and bytes (printf '\x00\xff\x10\x80bin\nary' | base64 is
/// AP8QgGJpbgphcnk=).
delivery_batch hostile(const std::string& key) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"a", "b", "c", "d", "e", "f"};
  b.records.push_back(record(key, delivery_op::upsert,
                             encode_row({cell::of_decimal("12345678901234567.89"),
                                         num(9007199254740993), cell::of_decimal(d38), real(19.99),
                                         real(1e-7),
                                         cell::of_bytes(std::string("\x00\xff\x10\x80" "bin\nary", 11))})));
  return b;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exact_rendering)

BOOST_AUTO_TEST_CASE(webhook_fields_are_exact_json_numbers) {
  auto ctx = context_for(webhook_destination::type(), {{"endpoint", "http://127.0.0.1:9000/h"}});
  auto req = webhook_destination(ctx).build_request(hostile("k1"));
  const std::string fields = R"("fields":{"a":12345678901234567.89,"b":9007199254740993,"c":)" +
                             d38 + R"(,"d":19.99,"e":1e-07,"f":"AP8QgGJpbgphcnk="})";
  BOOST_TEST(contains(req.body, fields), req.body);
  BOOST_TEST(!json::parse(req.body, nullptr, false).is_discarded());
}

// HubSpot types every property value as a string: decimals go as their exact text.
BOOST_AUTO_TEST_CASE(hubspot_properties_carry_decimals_as_text) {
  auto req = hubspot().build_request(hostile("ann@x.com"));
  const std::string properties = R"("properties":{"a":"12345678901234567.89","b":9007199254740993,)"
                                 R"("c":")" + d38 + R"(","d":19.99,"e":1e-07,"f":"AP8QgGJpbgphcnk="})";
  BOOST_TEST(contains(req.body, properties), req.body);
}

BOOST_AUTO_TEST_CASE(salesforce_records_and_bulk_csv_are_exact) {
  json options = {{"instance_url", "http://127.0.0.1:8092"}, {"token", "00Dxx!sf-token"},
                  {"object", "Contact"}, {"external_id_field", "Ext_Id__c"}};
  salesforce_destination sf(context_for(salesforce_destination::type(), options));
  auto req = sf.build_request(hostile("A-1"));
  const std::string record = R"("a":12345678901234567.89,"attributes":{"type":"Contact"},)"
                             R"("b":9007199254740993,"c":)" + d38 +
                             R"(,"d":19.99,"e":1e-07,"f":"AP8QgGJpbgphcnk=")";
  BOOST_TEST(contains(req.body, record), req.body);
  BOOST_TEST(salesforce_csv_value(cell::of_decimal("12345678901234567.89")) == "12345678901234567.89");
  BOOST_TEST(salesforce_csv_value(num(9007199254740993)) == "9007199254740993");
  BOOST_TEST(salesforce_csv_value(real(19.99)) == "19.99");
  BOOST_TEST(salesforce_csv_value(real(1e-7)) == "1e-07");
  BOOST_TEST(salesforce_csv_value(real(7.0)) == "7");
  BOOST_TEST(salesforce_csv_value(cell::of_bool(true)) == "true");
  BOOST_TEST(salesforce_csv_value(cell::of_bytes("a")) == "YQ==");
  BOOST_TEST(salesforce_csv_value(null()) == "#N/A");
}

BOOST_AUTO_TEST_CASE(meta_identifiers_read_numbers_as_their_exact_text) {
  BOOST_TEST(meta_identifier(meta_key::extern_id, cell::of_decimal("12345678901234567.89")) ==
             "12345678901234567.89");
  BOOST_TEST(meta_identifier(meta_key::extern_id, real(19.99)) == "19.99");
  BOOST_TEST(meta_identifier(meta_key::extern_id, num(9007199254740993)) == "9007199254740993");
  // printf '%s' '14155550123' | sha256sum
  BOOST_TEST(meta_identifier(meta_key::phone, cell::of_decimal("14155550123")) ==
             "413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a");
}

// Zendesk organizations (docs/connectors/zendesk.md): one `{"organization":{...}}` per
// create_or_update request, `organization_fields.NAME` nested, the key as the external_id
// string; NULL clears a field (null), "" stays "". Expected bodies written by hand.
zendesk_destination zendesk_organizations() {
  json options = {{"url", "http://127.0.0.1:8772"}, {"email", "sync@example.com"},
                  {"api_token", "emulator-token"}, {"object", "organizations"}};
  return zendesk_destination(context_for(zendesk_destination::type(), options,
                                         sync_mode::mirror, {"account_id"}));
}

delivery_batch zendesk_org(const std::string& key, std::initializer_list<cell> cells) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"name", "notes", "organization_fields.big", "organization_fields.tier"};
  b.records.push_back(record(key, delivery_op::upsert, encode_row(cells)));
  return b;
}

BOOST_AUTO_TEST_CASE(zendesk_organization_bodies_are_written_by_hand) {
  auto zd = zendesk_organizations();
  auto req = zd.build_request(zendesk_org(
      "9007199254740993", {cell::of_text("Société Générale ☃ 東京"), null(),
                           num(9007199254740993), cell::of_text("")}));
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:8772/api/v2/organizations/create_or_update.json");
  BOOST_TEST(req.body ==
             R"({"organization":{"external_id":"9007199254740993",)"
             R"("name":"Société Générale ☃ 東京","notes":null,)"
             R"("organization_fields":{"big":9007199254740993,"tier":""}}})");
  // "" and NULL stay apart in the custom fields too.
  req = zd.build_request(zendesk_org("ACME-ü", {cell::of_text("Ünïcødé Ltd"), cell::of_text(""),
                                                 null(), null()}));
  BOOST_TEST(req.body ==
             R"({"organization":{"external_id":"ACME-ü","name":"Ünïcødé Ltd","notes":"",)"
             R"("organization_fields":{"big":null,"tier":null}}})");
  BOOST_TEST(zd.batch_size(delivery_op::upsert) == 1u);
  BOOST_TEST(zd.job_size(delivery_op::upsert, 10) == 0u);  // answered at once, not a job
  BOOST_TEST(zd.job_size(delivery_op::remove, 10) == 100u);
}

BOOST_AUTO_TEST_CASE(zendesk_organizations_are_deleted_by_external_id_in_a_job) {
  delivery_batch b;
  b.batch_id = "r12-b2";
  b.records = {record("9007199254740993", delivery_op::remove),
               record("Société/1", delivery_op::remove)};
  auto req = zendesk_organizations().build_request(b);
  BOOST_TEST(req.method == "DELETE");
  // printf 'Société/1' | jq -sRr @uri → Soci%C3%A9t%C3%A9%2F1
  BOOST_TEST(req.url == "http://127.0.0.1:8772/api/v2/organizations/destroy_many.json"
                        "?external_ids=9007199254740993,Soci%C3%A9t%C3%A9%2F1");
}

BOOST_AUTO_TEST_CASE(zendesk_taken_organization_name_is_rejected_with_zendesks_words) {
  auto zd = zendesk_organizations();
  auto batch = zendesk_org("acme", {cell::of_text("Acme"), null(), null(), null()});
  // The body Zendesk answers a taken name with (zendesk_api_client_rb issue 457).
  http_response taken;
  taken.status = 422;
  taken.body = R"({"error":"RecordInvalid","description":"Record validation errors","details":)"
               R"({"name":[{"description":"Name: Acme has already been taken","error":"DuplicateValue"}]}})";
  auto v = zd.interpret(batch, taken);
  BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(batch_verdict::kind::reject));
  BOOST_TEST(v.reason == "Zendesk 422 RecordInvalid: Record validation errors (name "
                         "DuplicateValue: Name: Acme has already been taken)");
  http_response created;
  created.status = 201;
  created.body = R"({"organization":{"id":360000500001,"external_id":"acme","name":"Acme"}})";
  v = zd.interpret(batch, created);
  BOOST_REQUIRE(v.outcomes.size() == 1u);
  BOOST_TEST(v.outcomes[0].dest_id == "360000500001");
}

BOOST_AUTO_TEST_SUITE_END()
