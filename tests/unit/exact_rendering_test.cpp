// Every connector renders hostile values exactly: decimals digit for digit, reals shortest, bytes base64.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/meta_identifiers.hpp"
#include "connectors/destinations/salesforce.hpp"
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

BOOST_AUTO_TEST_SUITE_END()
