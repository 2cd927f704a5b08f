// The Iterable connector against hand-written bodies and answers from Iterable's API reference:
// bulkUpdate users by email or userId (exact numbers, null, Unicode), list subscribe and
// unsubscribe, failedUpdates read per user, deletes by path, its error codes, regions and
// per-endpoint limits.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/iterable.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

iterable_destination iterable(const json& extra = json::object(),
                              sync_mode mode = sync_mode::upsert) {
  json options = {{"api_key", "it-key-1"}, {"list_id", 7}};
  options.merge_patch(extra);
  return iterable_destination(context_for(iterable_destination::type(), options, mode));
}

iterable_destination lists(const json& extra = json::object()) {
  return iterable(extra, sync_mode::audience);
}

/// Users ada@x.io, bob@x.io, ... with a tier each.
delivery_batch users(const std::vector<std::string>& emails, delivery_op op = delivery_op::upsert) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"tier"};
  for (const auto& e : emails)
    b.records.push_back(record(e, op, op == delivery_op::remove ? "" : encode_row({txt("gold")})));
  return b;
}

/// Iterable's 200: successCount, failCount and failedUpdates with the given lists.
json answer(int ok, int failed, const json& failed_updates, const json& extra = json::object()) {
  json a = {{"successCount", ok}, {"failCount", failed}, {"failedUpdates", failed_updates},
            {"filteredOutFields", json::array()}};
  a.merge_patch(extra);
  return a;
}

bool is(const record_outcome& o, record_outcome::kind k) {
  return o.what == k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(iterable_connector)

BOOST_AUTO_TEST_CASE(bulk_update_sends_users_by_email_with_exact_data_fields) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"name", "big", "amount", "d38", "note", "gone"};
  b.records.push_back(record("zoë@例え.jp", delivery_op::upsert,
                             encode_row({txt("Zoë 顧客"), num(9007199254740993),
                                         cell::of_decimal("12345678901234567.89"),
                                         cell::of_decimal("12345678901234567890123456789012345678"),
                                         txt(""), null()})));
  auto req = iterable().build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "https://api.iterable.com/api/users/bulkUpdate");
  BOOST_TEST(header_of(req, "Api-Key") == "it-key-1");
  BOOST_TEST(header_of(req, "Content-Type") == "application/json");
  BOOST_TEST(header_of(req, "Authorization") == "<absent>");
  // Written by hand: numbers as their exact literals, "" kept, NULL as null, the key as email.
  BOOST_TEST(req.body ==
             R"({"users":[{"dataFields":{"amount":12345678901234567.89,"big":9007199254740993,)"
             R"("d38":12345678901234567890123456789012345678,"gone":null,"name":"Zoë 顧客",)"
             R"("note":""},"email":"zoë@例え.jp"}]})");
}

BOOST_AUTO_TEST_CASE(user_ids_go_with_prefer_user_id_and_merge_when_asked) {
  const std::string long_id = "cust-" + std::string(600, 'k');
  auto b = users({long_id});
  auto req = iterable({{"key_field", "userId"}, {"merge_nested_objects", true}}).build_request(b);
  BOOST_TEST(req.body == R"({"users":[{"dataFields":{"tier":"gold"},"mergeNestedObjects":true,)"
                         R"("preferUserId":true,"userId":")" + long_id + R"("}]})");
  // No mapped field: no dataFields at all.
  delivery_batch bare;
  bare.records.push_back(record("a@x.io", delivery_op::upsert, encode_row({})));
  BOOST_TEST(iterable().build_request(bare).body == R"({"users":[{"email":"a@x.io"}]})");
}

BOOST_AUTO_TEST_CASE(regions_pick_the_data_center_and_an_endpoint_wins) {
  auto b = users({"a@x.io"});
  BOOST_TEST(iterable({{"region", "eu"}}).build_request(b).url ==
             "https://api.eu.iterable.com/api/users/bulkUpdate");
  BOOST_TEST(iterable({{"region", "eu"}, {"endpoint", "http://127.0.0.1:8781/"}})
                 .build_request(b).url == "http://127.0.0.1:8781/api/users/bulkUpdate");
  config_errors errors;
  validate_options({{"api_key", "k"}, {"region", "ap"}}, iterable_destination::type().options,
                   "destination", errors);
  BOOST_TEST(has_text(errors.items(), "region"));
}

BOOST_AUTO_TEST_CASE(audience_mode_subscribes_and_unsubscribes_list_members) {
  auto add = lists({{"update_existing_users_only", true}}).build_request(users({"a@x.io"}));
  BOOST_TEST(add.url == "https://api.iterable.com/api/lists/subscribe");
  BOOST_TEST(add.body == R"({"listId":7,"subscribers":[{"dataFields":{"tier":"gold"},)"
                         R"("email":"a@x.io"}],"updateExistingUsersOnly":true})");
  auto remove = lists().build_request(users({"a@x.io", "b@x.io"}, delivery_op::remove));
  BOOST_TEST(remove.url == "https://api.iterable.com/api/lists/unsubscribe");
  BOOST_TEST(remove.body ==
             R"({"listId":7,"subscribers":[{"email":"a@x.io"},{"email":"b@x.io"}]})");
}

BOOST_AUTO_TEST_CASE(each_user_named_in_failed_updates_is_rejected_with_its_reason) {
  auto b = users({"ada@x.io", "bob@x.io", "cy@x.io", "dee@x.io", "eve@x.io", "fay@x.io"});
  json failed = {{"invalidEmails", {"ada@x.io"}},     {"conflictEmails", {"BOB@X.IO"}},
                 {"forgottenEmails", {"cy@x.io"}},    {"invalidDataEmails", {"dee@x.io"}},
                 {"invalidUserIds", {"eve@x.io"}},    {"notFoundEmails", {"nobody@x.io"}}};
  auto v = iterable().interpret(b, response(200, answer(2, 4, failed)));
  BOOST_TEST((v.what == batch_verdict::kind::per_record));
  BOOST_TEST(v.outcomes[0].reason == "Iterable: malformed email address (invalidEmails)");
  BOOST_TEST(v.outcomes[1].reason ==
             "Iterable: another user already holds this identifier (conflictEmails)");
  BOOST_TEST(v.outcomes[2].reason ==
             "Iterable: the user was forgotten (GDPR) and is not updated (forgottenEmails)");
  BOOST_TEST(v.outcomes[3].reason == "Iterable: invalid data in dataFields (invalidDataEmails)");
  for (int i = 0; i < 4; ++i)
    BOOST_TEST(is(v.outcomes[i], record_outcome::kind::rejected));
  // A userId list does not name an email-keyed user; an unknown name names nobody.
  BOOST_TEST(is(v.outcomes[4], record_outcome::kind::delivered));
  BOOST_TEST(is(v.outcomes[5], record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(the_deprecated_top_level_lists_name_users_too) {
  auto b = users({"not-an-email", "ok@x.io"});
  auto v = iterable().interpret(
      b, response(200, {{"successCount", 1}, {"failCount", 1}, {"invalidEmails", {"not-an-email"}},
                        {"invalidUserIds", json::array()}}));
  BOOST_TEST(is(v.outcomes[0], record_outcome::kind::rejected));
  BOOST_TEST(is(v.outcomes[1], record_outcome::kind::delivered));
  auto by_id = iterable({{"key_field", "userId"}})
                   .interpret(users({"u 1 ", "u2"}),
                              response(200, answer(1, 1, {{"invalidUserIds", {"u 1 "}}})));
  BOOST_TEST(by_id.outcomes[0].reason == "Iterable: malformed userId (invalidUserIds)");
  BOOST_TEST(is(by_id.outcomes[1], record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(failures_counted_but_not_named_send_the_others_again) {
  auto b = users({"a@x.io", "b@x.io", "c@x.io"});
  auto v = iterable().interpret(b, response(200, answer(1, 2, {{"invalidEmails", {"a@x.io"}}})));
  BOOST_TEST(is(v.outcomes[0], record_outcome::kind::rejected));
  BOOST_TEST(is(v.outcomes[1], record_outcome::kind::retryable));
  BOOST_TEST(v.outcomes[1].reason == "Iterable counted 2 failures but named 1");
  // A 200 that is not JSON: which users failed is unknown, all go again.
  http_response html = response(200, nullptr);
  html.body = "<html>";
  BOOST_TEST((iterable().interpret(b, html).what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(unsubscribing_an_unknown_user_is_done_subscribing_one_is_rejected) {
  json failed = {{"notFoundEmails", {"gone@x.io"}}};
  auto off = lists().interpret(users({"gone@x.io", "b@x.io"}, delivery_op::remove),
                               response(200, answer(1, 1, failed)));
  BOOST_TEST(is(off.outcomes[0], record_outcome::kind::delivered));
  BOOST_TEST(is(off.outcomes[1], record_outcome::kind::delivered));
  auto on = lists({{"update_existing_users_only", true}})
                .interpret(users({"gone@x.io", "b@x.io"}), response(200, answer(1, 1, failed)));
  BOOST_TEST(on.outcomes[0].reason == "Iterable: no such user in the project (notFoundEmails)");
  BOOST_TEST(is(on.outcomes[1], record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(error_answers_carry_iterables_code_and_message) {
  auto b = users({"a@x.io", "b@x.io"});
  auto bad_key = iterable().interpret(
      b, response(401, {{"msg", "Invalid API key"}, {"code", "BadApiKey"}, {"params", nullptr}}));
  BOOST_TEST((bad_key.what == batch_verdict::kind::fatal));
  BOOST_TEST(bad_key.reason == "Iterable 401 BadApiKey: Invalid API key");
  auto limited = iterable().interpret(
      b, response(429, {{"msg", "Exceeded rate limit for endpoint: /api/users/bulkUpdate, "
                                "project: 8575"},
                        {"code", "RateLimitExceeded"}, {"params", json::object()}}));
  BOOST_TEST((limited.what == batch_verdict::kind::retry));
  auto mismatch = iterable().interpret(
      b, response(400, {{"msg", "Field types mismatched"}, {"code", "RequestFieldsTypesMismatched"}}));
  BOOST_TEST((mismatch.what == batch_verdict::kind::split));
  BOOST_TEST(mismatch.reason == "Iterable 400 RequestFieldsTypesMismatched: Field types mismatched");
}

BOOST_AUTO_TEST_CASE(a_body_over_4_mb_is_halved_until_one_user_is_left) {
  json too_large = {{"msg", "Request body is larger than 4 MB"}, {"code", "BatchTooLarge"}};
  BOOST_TEST((iterable().interpret(users({"a@x.io", "b@x.io"}), response(413, too_large)).what ==
              batch_verdict::kind::split));
  BOOST_TEST((iterable().interpret(users({"a@x.io", "b@x.io"}), response(400, too_large)).what ==
              batch_verdict::kind::split));
  BOOST_TEST((iterable().interpret(users({"a@x.io"}), response(413, nullptr)).what ==
              batch_verdict::kind::reject));
}

BOOST_AUTO_TEST_CASE(mirror_deletes_one_user_per_request_by_its_path) {
  auto mirror = iterable(json::object(), sync_mode::mirror);
  BOOST_TEST(mirror.batch_size(delivery_op::remove) == 1u);
  BOOST_TEST(mirror.batch_size(delivery_op::upsert) == 1000u);
  BOOST_TEST(lists().batch_size(delivery_op::remove) == 1000u);  // unsubscribe is batched
  auto req = mirror.build_request(users({"a/b+c@zoë.io"}, delivery_op::remove));
  BOOST_TEST(req.method == "DELETE");
  // Written by hand: '/' and '+' escaped, '@' kept, UTF-8 bytes as %XX.
  BOOST_TEST(req.url == "https://api.iterable.com/api/users/a%2Fb%2Bc@zo%C3%AB.io");
  BOOST_TEST(req.body.empty());
  BOOST_TEST(header_of(req, "Api-Key") == "it-key-1");
  auto by_id = iterable({{"key_field", "userId"}}, sync_mode::mirror)
                   .build_request(users({"cust 7"}, delivery_op::remove));
  BOOST_TEST(by_id.url == "https://api.iterable.com/api/users/byUserId/cust%207");
}

BOOST_AUTO_TEST_CASE(a_delete_of_a_user_iterable_does_not_know_is_done) {
  auto mirror = iterable(json::object(), sync_mode::mirror);
  auto gone = users({"a@x.io"}, delivery_op::remove);
  auto queued = mirror.interpret(
      gone, response(200, {{"msg", "User deletion queued"}, {"code", "Success"}}));
  BOOST_TEST(is(queued.outcomes[0], record_outcome::kind::delivered));
  auto unknown = mirror.interpret(
      gone, response(400, {{"msg", "No user exists with email a@x.io"},
                           {"code", "UnknownEmailError"}, {"params", nullptr}}));
  BOOST_TEST(is(unknown.outcomes[0], record_outcome::kind::delivered));
  // Another 400, or a 404 without Iterable's code (a wrong base URL), is not taken for it.
  auto bad = mirror.interpret(gone, response(400, {{"msg", "bad"}, {"code", "BadParams"}}));
  BOOST_TEST((bad.what == batch_verdict::kind::reject));
  BOOST_TEST((mirror.interpret(gone, response(404, nullptr)).what == batch_verdict::kind::fatal));
}

BOOST_AUTO_TEST_CASE(checks_name_what_is_missing_or_taken_by_the_key) {
  auto t = iterable_destination::type();
  auto ctx = context_for(t, {{"api_key", "k"}}, sync_mode::audience, {"email", "account"});
  ctx.mapped_fields = {"tier", "email"};
  config_errors errors;
  t.check(ctx, "destination", errors);
  BOOST_TEST(errors.items().size() == 3u);
  BOOST_TEST(has_text(errors.items(), "list_id"));
  BOOST_TEST(has_text(errors.items(), "exactly one key column"));
  BOOST_TEST(has_text(errors.items(), "\"email\" identifies the user"));
  // userId keys may be composite.
  auto by_id = context_for(t, {{"api_key", "k"}, {"key_field", "userId"}}, sync_mode::upsert,
                           {"a", "b"});
  config_errors none;
  t.check(by_id, "destination", none);
  BOOST_TEST(none.empty());
}

BOOST_AUTO_TEST_CASE(limits_are_per_endpoint_5_and_2_per_second_by_default) {
  BOOST_TEST(iterable().batch_size(delivery_op::upsert) == 1000u);
  BOOST_TEST(iterable().rate_limits().requests_per_window == 5);
  BOOST_TEST(iterable().rate_limits().window.count() == 1000);
  BOOST_TEST(lists().rate_limits().requests_per_window == 2);
  BOOST_TEST(lists({{"rate_limit", {{"lists_per_second", 0}}}}).rate_limits().unlimited());
  // bulkUpdate and the list endpoints are limited apart; the key is never in the account id.
  BOOST_TEST(iterable().account() != lists().account());
  BOOST_TEST(iterable().account() != iterable({{"api_key", "other"}}).account());
  BOOST_TEST(iterable().account().find("it-key-1") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
