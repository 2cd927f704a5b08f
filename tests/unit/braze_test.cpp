// The Braze connector against hand-written bodies and answers from Braze's documentation:
// /users/track attributes (exact numbers, null removes, Unicode), minor errors by index,
// X-RateLimit-Reset as the wait, /users/delete in 50s.
#include <boost/test/unit_test.hpp>

#include <ctime>

#include "connectors/destinations/braze.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

braze_destination braze(const json& extra = json::object()) {
  json options = {{"endpoint", "https://rest.iad-01.braze.com/"}, {"api_key", "braze-key-1"}};
  options.merge_patch(extra);
  return braze_destination(context_for(braze_destination::type(), options, sync_mode::mirror));
}

delivery_batch users(size_t n) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"tier"};
  for (size_t i = 0; i < n; ++i)
    b.records.push_back(record("u" + std::to_string(i), delivery_op::upsert,
                               encode_row({txt("gold")})));
  return b;
}

std::string long_key() {
  return "long-" + std::string(700, 'k');
}

}  // namespace

BOOST_AUTO_TEST_SUITE(braze_connector)

BOOST_AUTO_TEST_CASE(track_sends_attributes_by_external_id_with_exact_values) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"name", "big", "amount", "d38", "note", "gone"};
  b.records.push_back(record("zoë-1|клиент", delivery_op::upsert,
                             encode_row({txt("Zoë 顧客"), num(9007199254740993),
                                         cell::of_decimal("12345678901234567.89"),
                                         cell::of_decimal("12345678901234567890123456789012345678"),
                                         txt(""), null()})));
  b.records.push_back(record(long_key(), delivery_op::upsert,
                             encode_row({txt("x"), num(-1), cell::of_decimal("0.5"), null(),
                                         txt(" "), txt("a\"b")})));
  auto req = braze().build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "https://rest.iad-01.braze.com/users/track");
  BOOST_TEST(header_of(req, "Authorization") == "Bearer braze-key-1");
  BOOST_TEST(header_of(req, "Content-Type") == "application/json");
  // Written by hand: numbers as their exact literals (a double would round them), "" kept,
  // NULL as null (Braze removes the attribute), the key as external_id.
  const std::string expected =
      R"({"attributes":[{"amount":12345678901234567.89,"big":9007199254740993,)"
      R"("d38":12345678901234567890123456789012345678,"external_id":"zoë-1|клиент",)"
      R"("gone":null,"name":"Zoë 顧客","note":""},)"
      R"({"amount":0.5,"big":-1,"d38":null,"external_id":")" + long_key() +
      R"(","gone":"a\"b","name":"x","note":" "}]})";
  BOOST_TEST(req.body == expected);
}

BOOST_AUTO_TEST_CASE(a_key_wins_over_a_column_called_external_id) {
  delivery_batch b = users(0);
  b.field_names = {"external_id"};
  b.records.push_back(record("u1", delivery_op::upsert, encode_row({txt("other")})));
  BOOST_TEST(json::parse(braze().build_request(b).body)["attributes"][0]["external_id"] == "u1");
}

BOOST_AUTO_TEST_CASE(mapping_an_identifier_is_a_config_error) {
  auto ctx = context_for(braze_destination::type(),
                         {{"endpoint", "https://rest.iad-01.braze.com"}, {"api_key", "k"}});
  ctx.mapped_fields = {"tier", "braze_id"};
  config_errors errors;
  braze_destination::type().check(ctx, "destination", errors);
  BOOST_TEST(errors.items().size() == 1u);
  BOOST_TEST(has_text(errors.items(), "\"braze_id\" identifies the user"));
}

BOOST_AUTO_TEST_CASE(batches_are_75_attribute_objects_and_50_deletes) {
  BOOST_TEST(braze().batch_size(delivery_op::upsert) == 75u);
  BOOST_TEST(braze().batch_size(delivery_op::remove) == 50u);
  BOOST_TEST(braze({{"batch_size", 10}}).batch_size(delivery_op::remove) == 10u);
  config_errors errors;
  validate_options({{"endpoint", "https://x.braze.com"}, {"api_key", "k"}, {"batch_size", 76}},
                   braze_destination::type().options, "destination", errors);
  BOOST_TEST(has_text(errors.items(), "batch_size"));
}

BOOST_AUTO_TEST_CASE(deletes_name_external_ids) {
  delivery_batch b;
  b.records = {record("a@example.com", delivery_op::remove),
               record("zoë|1", delivery_op::remove)};
  auto req = braze().build_request(b);
  BOOST_TEST(req.url == "https://rest.iad-01.braze.com/users/delete");
  BOOST_TEST(req.body == R"({"external_ids":["a@example.com","zoë|1"]})");
  auto v = braze().interpret(b, response(201, {{"deleted", 1}, {"message", "success"}}));
  BOOST_TEST(v.outcomes.size() == 2u);
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(a_minor_error_rejects_only_the_item_at_its_index) {
  auto b = users(4);
  json body = {{"message", "success"}, {"attributes_processed", 3},
               {"errors", {{{"type", "'external_id' or 'braze_id' or 'user_alias' is required"},
                            {"input_array", "attributes"}, {"index", 2}},
                           {{"type", "Invalid event"}, {"input_array", "events"}, {"index", 0}},
                           {{"type", "out of range"}, {"input_array", "attributes"},
                            {"index", 4}}}}};
  auto v = braze().interpret(b, response(201, body));
  BOOST_TEST((v.what == batch_verdict::kind::per_record));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[2].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[2].reason ==
             "Braze: 'external_id' or 'braze_id' or 'user_alias' is required");
  BOOST_TEST((v.outcomes[3].what == record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(queued_during_maintenance_is_delivered) {
  auto v = braze().interpret(users(2), response(202, {{"message", "queued"}}));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(a_success_without_json_is_sent_again) {
  http_response r = response(201, nullptr);
  r.body = "<html>";
  BOOST_TEST((braze().interpret(users(2), r).what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(a_fatal_400_listing_bad_items_rejects_them_and_resends_the_rest) {
  json body = {{"message", "Valid data must be provided in the 'attributes', 'events', or "
                           "'purchases' fields."},
               {"errors", {{{"type", "Invalid value for attribute 'tier'"},
                            {"input_array", "attributes"}, {"index", 0}}}}};
  auto v = braze().interpret(users(2), response(400, body));
  BOOST_TEST((v.what == batch_verdict::kind::per_record));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::rejected));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::retryable));
  // Without item errors a 400 is bisected as for every destination, with Braze's message.
  auto whole = braze().interpret(users(2), response(400, {{"message", "Invalid JSON"}}));
  BOOST_TEST((whole.what == batch_verdict::kind::split));
  BOOST_TEST(whole.reason == "Braze 400: Invalid JSON");
}

BOOST_AUTO_TEST_CASE(an_invalid_key_stops_the_run) {
  auto v = braze().interpret(users(1), response(401, {{"message", "Invalid API key"}}));
  BOOST_TEST((v.what == batch_verdict::kind::fatal));
  BOOST_TEST(v.reason == "Braze 401: Invalid API key");
}

BOOST_AUTO_TEST_CASE(a_429_waits_for_the_reset_epoch_second) {
  const auto reset = std::to_string(std::time(nullptr) + 30);
  auto r = response(429, {{"message", "API rate limit exceeded"}},
                    {{"X-RateLimit-Limit", "3000"}, {"X-RateLimit-Remaining", "0"},
                     {"X-RateLimit-Reset", reset}});
  auto v = braze().interpret(users(1), r);
  BOOST_TEST((v.what == batch_verdict::kind::retry));
  BOOST_TEST(v.retry_after.count() > 28000);
  BOOST_TEST(v.retry_after.count() <= 30000);
  auto s = braze().read_rate_signal(r);
  BOOST_REQUIRE(s.pause.has_value());
  BOOST_TEST(s.pause->count() > 28000);
  // A reset already past still waits Braze's one-second granularity; no header: no pause.
  auto past = response(429, nullptr, {{"X-RateLimit-Reset", "1700000000"}});
  BOOST_TEST(braze().read_rate_signal(past).pause->count() == 1000);
  BOOST_TEST(!braze().read_rate_signal(response(429, nullptr)).pause.has_value());
  // A success with the window spent does not pause: the limiter already keeps to the window.
  BOOST_TEST(!braze().read_rate_signal(response(201, nullptr, {{"X-RateLimit-Remaining", "0"},
                                                               {"X-RateLimit-Reset", reset}}))
                  .pause.has_value());
}

BOOST_AUTO_TEST_CASE(the_default_limit_is_3000_per_3_seconds_per_key_and_endpoint) {
  auto limits = braze().rate_limits();
  BOOST_TEST(limits.requests_per_window == 3000);
  BOOST_TEST(limits.window.count() == 3000);
  BOOST_TEST(braze({{"rate_limit", {{"per_3s", 0}}}}).rate_limits().unlimited());
  BOOST_TEST(braze().account() == braze({{"endpoint", "https://REST.iad-01.braze.com"}}).account());
  BOOST_TEST(braze().account() != braze({{"api_key", "other"}}).account());
  BOOST_TEST(braze().account().find("braze-key-1") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
