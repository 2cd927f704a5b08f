// The Customer.io connector against hand-written bodies and answers from Customer.io's Track
// API v2 documentation: identify/delete actions in one batch, Basic auth, regions, 207 errors
// by batch_index, 413 split.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/customerio.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

customerio_destination cio(const json& extra = json::object()) {
  json options = {{"site_id", "site-1"}, {"api_key", "key:ü"}};
  options.merge_patch(extra);
  return customerio_destination(
      context_for(customerio_destination::type(), options, sync_mode::mirror));
}

delivery_batch people(size_t n) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"tier"};
  for (size_t i = 0; i < n; ++i)
    b.records.push_back(record("p" + std::to_string(i), delivery_op::upsert,
                               encode_row({txt("gold")})));
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(customerio_connector)

BOOST_AUTO_TEST_CASE(one_batch_carries_identify_and_delete_actions_with_exact_values) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"name", "big", "d38", "note", "gone"};
  b.records.push_back(record("Zoë-1|клиент", delivery_op::upsert,
                             encode_row({txt("顧客 \"q\""), num(9007199254740993),
                                         cell::of_decimal("12345678901234567890123456789012345678"),
                                         txt(""), null()})));
  b.records.push_back(record("gone@example.com", delivery_op::remove));
  auto req = cio().build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "https://track.customer.io/api/v2/batch");
  // base64("site-1:key:ü") written out by hand (ü is c3 bc in UTF-8).
  BOOST_TEST(header_of(req, "Authorization") == "Basic c2l0ZS0xOmtleTrDvA==");
  const std::string expected =
      R"({"batch":[{"action":"identify","attributes":{"big":9007199254740993,)"
      R"("d38":12345678901234567890123456789012345678,"gone":null,"name":"顧客 \"q\"",)"
      R"("note":""},"identifiers":{"id":"Zoë-1|клиент"},"type":"person"},)"
      R"({"action":"delete","identifiers":{"id":"gone@example.com"},"type":"person"}]})";
  BOOST_TEST(req.body == expected);
}

BOOST_AUTO_TEST_CASE(regions_and_identifiers) {
  BOOST_TEST(cio({{"region", "eu"}}).build_request(people(1)).url ==
             "https://track-eu.customer.io/api/v2/batch");
  BOOST_TEST(cio({{"endpoint", "http://127.0.0.1:9/"}, {"region", "eu"}})
                 .build_request(people(1)).url == "http://127.0.0.1:9/api/v2/batch");
  auto body = json::parse(cio({{"identifier", "email"}}).build_request(people(1)).body);
  BOOST_TEST(body["batch"][0]["identifiers"] == json({{"email", "p0"}}));
  BOOST_TEST(cio().mixes_ops());
  config_errors errors;
  validate_options({{"site_id", "s"}, {"api_key", "k"}, {"region", "ap"}},
                   customerio_destination::type().options, "destination", errors);
  BOOST_TEST(has_text(errors.items(), "region"));
}

BOOST_AUTO_TEST_CASE(a_207_rejects_only_the_actions_at_its_batch_indexes) {
  json body = {{"errors", {{{"batch_index", 1}, {"reason", "required"},
                            {"field", "identifiers"}, {"message", "an identifier is required"}},
                           {{"batch_index", 7}, {"reason", "invalid"}},
                           {{"reason", "internal"}}}}};
  auto v = cio().interpret(people(3), response(207, body));
  BOOST_TEST((v.what == batch_verdict::kind::per_record));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[1].reason ==
             "Customer.io: required (identifiers): an identifier is required");
  BOOST_TEST((v.outcomes[2].what == record_outcome::kind::delivered));
  BOOST_TEST((cio().interpret(people(2), response(200, json::object())).outcomes[1].what ==
              record_outcome::kind::delivered));
  http_response garbled = response(207, nullptr);
  garbled.body = "{\"errors\":[";
  BOOST_TEST((cio().interpret(people(2), garbled).what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(too_large_is_split_and_a_lone_action_rejected) {
  auto body = json{{"meta", {{"error", "request body must be smaller than 500kb"}}}};
  BOOST_TEST((cio().interpret(people(2), response(413, body)).what == batch_verdict::kind::split));
  BOOST_TEST((cio().interpret(people(1), response(413, body)).what == batch_verdict::kind::reject));
}

BOOST_AUTO_TEST_CASE(refusals_carry_customerio_words) {
  auto v = cio().interpret(people(1), response(401, {{"meta", {{"error", "unauthorized"}}}}));
  BOOST_TEST((v.what == batch_verdict::kind::fatal));
  BOOST_TEST(v.reason == "Customer.io 401: unauthorized");
  auto limited = cio().interpret(people(2), response(429, nullptr, {{"Retry-After", "2"}}));
  BOOST_TEST((limited.what == batch_verdict::kind::retry));
  BOOST_TEST(limited.retry_after.count() == 2000);
}

BOOST_AUTO_TEST_CASE(limits_and_account) {
  BOOST_TEST(cio().rate_limits().requests_per_window == 100);
  BOOST_TEST(cio().rate_limits().window.count() == 1000);
  BOOST_TEST(cio().batch_size(delivery_op::remove) == 100u);
  BOOST_TEST(cio().account() != cio({{"site_id", "site-2"}}).account());
  BOOST_TEST(cio().account().find("site-1") == std::string::npos);
  BOOST_TEST(customerio_destination::type().credential_names_account);
}

BOOST_AUTO_TEST_SUITE_END()
