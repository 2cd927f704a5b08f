// Meta Custom Audiences requests and answers, against fixture JSON.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/meta_audience.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

const std::string alice_hash = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976";

meta_audience_destination meta(const json& extra = json::object()) {
  json options = {{"endpoint", "http://127.0.0.1:8091"}, {"token", "meta-token-1234"},
                  {"audience_id", "2385"}};
  options.merge_patch(extra);
  auto ctx = context_for(meta_audience_destination::type(), options, sync_mode::audience);
  return meta_audience_destination(ctx);
}

/// Records with EMAIL and PHONE identifiers.
delivery_batch members(delivery_op op, const std::vector<std::pair<std::string, std::string>>& rows) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"EMAIL", "PHONE"};
  for (const auto& [email, phone] : rows)
    b.records.push_back(record(email.empty() ? "k" + phone : email, op,
                               encode_row({email.empty() ? null() : txt(email),
                                           phone.empty() ? null() : txt(phone)})));
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_audience)

BOOST_AUTO_TEST_CASE(adds_post_hashed_rows_with_a_session) {
  auto b = members(delivery_op::upsert, {{"Alice@Example.com", ""}, {"", "+1 650 555 1234"}});
  b.sequence = 2;
  b.total = 25000;
  auto req = meta().build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:8091/v19.0/2385/users");
  auto body = json::parse(req.body);
  BOOST_TEST(body["payload"]["schema"] == json::array({"EMAIL", "PHONE"}));
  BOOST_TEST(body["payload"]["data"][0] == json::array({alice_hash, ""}));
  BOOST_TEST(body["payload"]["data"][1][0] == "");
  BOOST_TEST(body["payload"]["data"][1][1] ==
             "6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599");
  BOOST_TEST(body["session"]["batch_seq"] == 2);
  BOOST_TEST(body["session"]["last_batch_flag"] == false);
  BOOST_TEST(body["session"]["estimated_num_total"] == 25000);
  BOOST_TEST(body["session"]["session_id"].get<int64_t>() > 0);
  BOOST_TEST(req.body.find("Alice") == std::string::npos);  // nothing in clear
}

BOOST_AUTO_TEST_CASE(removes_use_delete_and_one_key_uses_the_sha256_schema) {
  delivery_batch b;
  b.field_names = {"EMAIL"};
  b.records.push_back(record("alice@example.com", delivery_op::upsert,
                             encode_row({txt("alice@example.com")})));
  auto added = meta().interpret(b, response(200, {{"num_received", 1}}));
  // An added member's identity is kept as its destination id, by key...
  BOOST_TEST(added.outcomes[0].dest_id == json({{"EMAIL", alice_hash}}).dump());
  // ...and removes it once its row has left the model (no fields then).
  delivery_batch removal;
  removal.field_names = {"EMAIL"};
  removal.records.push_back(record("alice@example.com", delivery_op::remove, {},
                                   added.outcomes[0].dest_id));
  auto req = meta().build_request(removal);
  BOOST_TEST(req.method == "DELETE");
  auto body = json::parse(req.body);
  BOOST_TEST(body["payload"]["schema"] == "EMAIL_SHA256");
  BOOST_TEST(body["payload"]["data"] == json::array({alice_hash}));
  removal.records[0].dest_id.clear();  // synced without an identity: cannot be removed
  auto v = meta().interpret(removal, response(200, {{"num_received", 0}}));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::rejected));
}

BOOST_AUTO_TEST_CASE(a_member_is_removed_with_the_keys_it_was_added_with_whatever_the_mapping_now) {
  // Added under EMAIL + FN; the mapping now has EMAIL only (or LN too): the remove request's
  // schema covers the keys the stored identity holds, so the member it removes is the same.
  json identity = {{"EMAIL", alice_hash}, {"FN", std::string(64, 'f')}};
  delivery_batch removal;
  removal.field_names = {"EMAIL", "LN"};
  removal.records.push_back(record("alice@example.com", delivery_op::remove, {}, identity.dump()));
  removal.records.push_back(record("bob", delivery_op::remove, {},
                                   json::array({std::string(64, 'b'), ""}).dump()));  // 0.1 form
  auto body = json::parse(meta().build_request(removal).body);
  BOOST_TEST(body["payload"]["schema"] == json::array({"EMAIL", "LN", "FN"}));
  BOOST_TEST(body["payload"]["data"][0] == json::array({alice_hash, "", std::string(64, 'f')}));
  BOOST_TEST(body["payload"]["data"][1] == json::array({std::string(64, 'b'), "", ""}));
  // The identity of a member is the same text whatever the order of the mapping.
  auto a = meta().identity({"EMAIL", "FN"}, encode_row({txt("alice@example.com"), txt("Al")}));
  auto b = meta().identity({"FN", "EMAIL"}, encode_row({txt("Al"), txt("alice@example.com")}));
  BOOST_TEST(*a == *b);
}

BOOST_AUTO_TEST_CASE(rows_without_any_identifier_are_rejected_and_not_sent) {
  auto b = members(delivery_op::upsert, {{"alice@example.com", ""}, {"", ""}});
  b.records[1].key = "empty";
  auto body = json::parse(meta().build_request(b).body);
  BOOST_TEST(body["payload"]["data"].size() == 1u);
  auto v = meta().interpret(b, response(200, {{"num_received", 1}, {"num_invalid_entries", 0}}));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
}

BOOST_AUTO_TEST_CASE(invalid_entries_are_rejected_by_value_and_counted) {
  auto b = members(delivery_op::upsert, {{"alice@example.com", ""}, {"bob@example.com", ""}});
  auto v = meta().interpret(
      b, response(200, {{"audience_id", "2385"},
                        {"num_received", 2},
                        {"num_invalid_entries", 1},
                        {"invalid_entry_samples", {{alice_hash, "Invalid email hash"}}}}));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[0].reason.find("Invalid email hash") != std::string::npos);
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::delivered));
  BOOST_TEST(v.notes.counters["num_invalid_entries"] == 1u);
  BOOST_TEST(v.notes.samples.size() == 1u);
}

BOOST_AUTO_TEST_CASE(throttling_waits_the_advertised_time) {
  auto b = members(delivery_op::upsert, {{"alice@example.com", ""}});
  json usage = {{"act_1", {{{"type", "CUSTOM_AUDIENCE"}, {"call_count", 100},
                             {"estimated_time_to_regain_access", 7}}}}};
  auto r = response(400, {{"error", {{"message", "(#80003) too many calls"}, {"code", 80003},
                                     {"error_subcode", 2446079}}}},
                    {{"X-Business-Use-Case-Usage", usage.dump()}});
  auto v = meta().interpret(b, r);
  BOOST_TEST((v.what == batch_verdict::kind::retry));
  BOOST_TEST(v.retry_after.count() == 7 * 60 * 1000);
  BOOST_TEST(meta().read_rate_signal(r).pause->count() == 7 * 60 * 1000);
  auto code17 = meta().interpret(b, response(400, {{"error", {{"message", "limit"}, {"code", 17}}}}));
  BOOST_TEST((code17.what == batch_verdict::kind::retry));
  BOOST_TEST(code17.retry_after.count() == 60 * 1000);  // at least a minute
}

BOOST_AUTO_TEST_CASE(token_and_parameter_errors_stop_the_run) {
  auto b = members(delivery_op::upsert, {{"alice@example.com", ""}, {"bob@example.com", ""}});
  for (int code : {190, 100, 200, 294}) {
    auto v = meta().interpret(b, response(400, {{"error", {{"message", "no"}, {"code", code}}}}));
    BOOST_TEST((v.what == batch_verdict::kind::fatal), code);
    BOOST_TEST(v.reason.find("Meta error " + std::to_string(code)) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(the_mapping_must_name_meta_keys) {
  auto t = meta_audience_destination::type();
  auto ctx = context_for(t, {{"token", "t"}, {"audience_id", "1"}}, sync_mode::audience);
  ctx.mapped_fields = {"EMAIL", "phone"};
  config_errors errors;
  t.check(ctx, "destination", errors);
  BOOST_REQUIRE_EQUAL(errors.items().size(), 1u);
  BOOST_TEST(errors.items()[0].rfind("mapping[1].to: \"phone\" is not a Meta key", 0) == 0u);
  ctx.mapped_fields.clear();
  config_errors missing;
  t.check(ctx, "destination", missing);
  BOOST_TEST(has_prefix(missing.items(), "mapping: meta_audience needs a mapping"));
  BOOST_TEST(meta().account().find("meta-token-1234") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
