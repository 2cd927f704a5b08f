// The marketo connector against Marketo's documented contract: request bodies written out by
// hand (hostile values: Unicode, 2^53 + 1, 38 digits, NULL and ""), and answers as Marketo
// gives them (failures inside HTTP 200, per-lead skipped reasons, token codes, throttles).
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/marketo.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

marketo_destination marketo(const json& extra = json::object()) {
  json options = {{"endpoint", "http://127.0.0.1:8767/"},
                  {"client_id", "cid+1"},
                  {"client_secret", "s3cr&t=x y"}};
  options.merge_patch(extra);
  return marketo_destination(context_for(marketo_destination::type(), options));
}

/// Marketo's request-level failure: HTTP 200, success false.
http_response failed_with(const std::string& code, const std::string& message) {
  return response(200, {{"requestId", "e42b#1"}, {"success", false},
                        {"errors", json::array({{{"code", code}, {"message", message}}})}});
}

/// Audience mode on static list 1021.
marketo_destination marketo_list(const json& extra = json::object()) {
  json options = {{"endpoint", "http://127.0.0.1:8767/"}, {"client_id", "cid+1"},
                  {"client_secret", "s3cr&t=x y"}, {"list_id", 1021}};
  options.merge_patch(extra);
  return marketo_destination(
      context_for(marketo_destination::type(), options, sync_mode::audience));
}

json lead_skip(const std::string& code, const std::string& message) {
  return {{"status", "skipped"},
          {"reasons", json::array({{{"code", code}, {"message", message}}})}};
}

/// A list answer's skipped lead: its id, then the reason.
json list_skip(int64_t id, const std::string& code, const std::string& message) {
  auto r = lead_skip(code, message);
  r["id"] = id;
  return r;
}

http_response results(json result) {
  return response(200, {{"requestId", "e42b#2"}, {"success", true}, {"result", std::move(result)}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(marketo_connector)

BOOST_AUTO_TEST_CASE(a_token_is_asked_for_with_escaped_client_credentials) {
  auto req = marketo().build_token_request();
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->method == "GET");
  BOOST_TEST(req->url == "http://127.0.0.1:8767/identity/oauth/token?grant_type=client_credentials"
                         "&client_id=cid%2B1&client_secret=s3cr%26t%3Dx%20y");
  auto other = marketo({{"identity", "https://123-abc.mktorest.com/identity"}}).build_token_request();
  BOOST_TEST(other->url.rfind("https://123-abc.mktorest.com/identity/oauth/token?", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(upserts_go_as_create_or_update_with_exact_values) {
  delivery_batch b;
  b.field_names = {"firstName", "big", "d38", "note", "empty", "email"};
  const std::string d38 = "12345678901234567890123456789012345678";
  b.records.push_back(record("zoë@exämple.com", delivery_op::upsert,
                             encode_row({txt("Zoë 😀"), num(9007199254740993),
                                         cell::of_decimal(d38), null(), txt(""),
                                         txt("Zoë@Exämple.com")})));
  auto req = marketo().build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:8767/rest/v1/leads.json");
  BOOST_TEST(header_of(req, "Authorization") == "<absent>");  // the delivery layer adds it
  BOOST_TEST(req.body ==
             "{\"action\":\"createOrUpdate\",\"input\":[{\"big\":9007199254740993,\"d38\":" + d38 +
                 ",\"email\":\"zoë@exämple.com\",\"empty\":\"\",\"firstName\":\"Zoë 😀\","
                 "\"note\":null}],\"lookupField\":\"email\"}");
}

BOOST_AUTO_TEST_CASE(each_mode_names_its_action) {
  for (auto [op, action] : {std::pair{delivery_op::update, "updateOnly"},
                            std::pair{delivery_op::insert, "createOnly"}}) {
    auto body = json::parse(marketo({{"lookup_field", "externalId"}})
                                .build_request(batch_of(op, {"k-1"})).body);
    BOOST_TEST(body["action"] == action);
    BOOST_TEST(body["lookupField"] == "externalId");
    BOOST_TEST(body["input"][0]["externalId"] == "k-1");
  }
}

BOOST_AUTO_TEST_CASE(results_in_input_order_give_ids_and_skipped_reasons) {
  auto b = batch_of(delivery_op::insert, {"a@x.com", "b@x.com", "c@x.com"});
  auto v = marketo().interpret(
      b, results({{{"id", 1001}, {"status", "created"}},
                  {{"status", "skipped"},
                   {"reasons", json::array({{{"code", "1005"}, {"message", "Lead already exists"}}})}},
                  {{"id", 1003}, {"status", "updated"}}}));
  BOOST_REQUIRE(v.outcomes.size() == 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "1001"));
  // createOnly found the lead there: delivered, but holding other values than these.
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::delivered));
  BOOST_TEST(v.outcomes[1].preexisting);
  BOOST_TEST(delivered_as(v.outcomes[2], "1003"));
  auto u = marketo().interpret(
      batch_of(delivery_op::update, {"a@x.com"}),
      results({{{"status", "skipped"},
                {"reasons", json::array({{{"code", "1004"}, {"message", "Lead not found"}}})}}}));
  BOOST_TEST((u.outcomes[0].what == record_outcome::kind::rejected));
  BOOST_TEST(u.outcomes[0].reason == "skipped: 1004 Lead not found");
}

BOOST_AUTO_TEST_CASE(a_missing_result_is_retried_not_lost) {
  auto v = marketo().interpret(batch_of(delivery_op::upsert, {"a@x.com", "b@x.com"}),
                               results({{{"id", 7}, {"status", "created"}}}));
  BOOST_TEST(delivered_as(v.outcomes[0], "7"));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::retryable));
}

BOOST_AUTO_TEST_CASE(token_codes_ask_for_a_new_token) {
  for (auto code : {"601", "602"}) {
    auto v = marketo().interpret(batch_of(delivery_op::upsert, {"a@x.com"}),
                                 failed_with(code, "Access token invalid"));
    BOOST_TEST((v.what == batch_verdict::kind::retry));
    BOOST_TEST(v.token_rejected);
  }
}

BOOST_AUTO_TEST_CASE(throttles_are_retried_after_their_wait_never_rejected) {
  auto dest = marketo();
  auto b = batch_of(delivery_op::upsert, {"a@x.com"});
  auto rate = failed_with("606", "Max rate limit '100' exceeded with in '20' secs");
  auto v = dest.interpret(b, rate);
  BOOST_TEST((v.what == batch_verdict::kind::retry));
  BOOST_TEST(v.retry_after.count() == 20000);
  BOOST_TEST(!v.token_rejected);
  BOOST_TEST(dest.read_rate_signal(rate).pause->count() == 20000);
  auto busy = dest.interpret(b, failed_with("615", "Concurrent access limit reached"));
  BOOST_TEST((busy.what == batch_verdict::kind::retry));
  BOOST_TEST(busy.retry_after.count() == 1000);
  auto quota = failed_with("607", "Daily quota reached");
  auto daily = dest.interpret(b, quota);
  BOOST_TEST((daily.what == batch_verdict::kind::retry));
  BOOST_TEST(daily.retry_after.count() > 0);
  BOOST_TEST(daily.retry_after.count() <= 24 * 3600 * 1000);
  BOOST_TEST(daily.reason.find("daily quota resets at") != std::string::npos);
  BOOST_TEST(dest.read_rate_signal(quota).daily_remaining.value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(access_denied_stops_and_bad_parameters_split) {
  auto dest = marketo();
  auto two = batch_of(delivery_op::upsert, {"a@x.com", "b@x.com"});
  BOOST_TEST((dest.interpret(two, failed_with("603", "Access denied")).what ==
              batch_verdict::kind::fatal));
  BOOST_TEST((dest.interpret(two, failed_with("1003", "Invalid value")).what ==
              batch_verdict::kind::fatal));  // not a 7xx: no record to blame
  BOOST_TEST((dest.interpret(two, failed_with("701", "cannot be blank")).what ==
              batch_verdict::kind::split));
  BOOST_TEST((dest.interpret(two, response(200, "<html>")).what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(deletes_go_by_lead_id_and_not_found_means_gone) {
  auto b = batch_of(delivery_op::remove, {"a@x.com", "b@x.com", "c@x.com"});
  b.records[0].dest_id = "1001";
  b.records[1].dest_id = "";  // never delivered by this state
  b.records[2].dest_id = "1003";
  auto dest = marketo();
  auto req = dest.build_request(b);
  BOOST_TEST(req.url == "http://127.0.0.1:8767/rest/v1/leads/delete.json");
  BOOST_TEST(req.body == R"({"input":[{"id":1001},{"id":1003}]})");
  auto v = dest.interpret(
      b, results({{{"id", 1001}, {"status", "deleted"}},
                  {{"id", 1003}, {"status", "skipped"},
                   {"reasons", json::array({{{"code", "1004"}, {"message", "Lead not found"}}})}}}));
  BOOST_TEST(delivered_as(v.outcomes[0], "1001"));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[1].reason.find("no Marketo lead id") != std::string::npos);
  BOOST_TEST(delivered_as(v.outcomes[2], "1003"));
}

BOOST_AUTO_TEST_CASE(unsure_creates_are_looked_up_by_a_form_query) {
  auto dest = marketo();
  auto b = batch_of(delivery_op::insert, {"a@x.com", "b+1@x.com"});
  auto req = dest.build_lookup(b);
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->url == "http://127.0.0.1:8767/rest/v1/leads.json?_method=GET");
  BOOST_TEST(req->body ==
             "filterType=email&filterValues=a%40x.com%2Cb%2B1%40x.com&fields=id%2Cemail");
  auto v = dest.interpret_lookup(b, results({{{"id", 55}, {"email", "B+1@x.com"}}}));
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::retryable));
  BOOST_TEST(delivered_as(v.outcomes[1], "55"));
  BOOST_TEST(!dest.build_lookup(batch_of(delivery_op::insert, {"a,b@x.com"})).has_value());
}

BOOST_AUTO_TEST_CASE(the_options_refuse_what_marketo_cannot_take) {
  config_errors errors;
  validate_options({{"endpoint", "http://x"}, {"client_id", "c"}, {"client_secret", "s"},
                    {"batch_size", 301}},
                   marketo_destination::type().options, "destination", errors);
  BOOST_TEST(has_prefix(errors.items(), "destination.batch_size"));
  BOOST_TEST(marketo().batch_size(delivery_op::upsert) == 300u);
  BOOST_TEST(marketo().rate_limits().requests_per_window == 100);
  BOOST_TEST(marketo().rate_limits().window.count() == 20000);
  BOOST_TEST(marketo().rate_limits().daily == 50000);
}

// -- audience mode: the static list's members are the model's rows -----------------------------

BOOST_AUTO_TEST_CASE(list_id_is_required_in_audience_mode_and_only_there) {
  auto errors_for = [](const json& options, sync_mode mode) {
    config_errors errors;
    destination_context ctx;
    ctx.options = options;
    ctx.mode = mode;
    ctx.key_columns = {"email"};
    marketo_destination::type().check(ctx, "destination", errors);
    return errors.items();
  };
  const json base = {{"endpoint", "http://x"}, {"client_id", "c"}, {"client_secret", "s"}};
  auto missing = errors_for(base, sync_mode::audience);
  BOOST_TEST(has_prefix(missing, "destination.list_id"));
  BOOST_TEST(joined(missing).find("required in audience mode") != std::string::npos);
  json listed = base;
  listed["list_id"] = 1021;
  BOOST_TEST(errors_for(listed, sync_mode::audience).empty());
  BOOST_TEST(has_prefix(errors_for(listed, sync_mode::upsert), "destination.list_id"));
  BOOST_TEST(marketo().job_size(delivery_op::upsert, 10) == 0u);  // other modes: plain requests
  BOOST_TEST(marketo_list().job_size(delivery_op::upsert, 10) == 300u);
  BOOST_TEST(marketo_list().job_size(delivery_op::remove, 10) == 0u);
}

BOOST_AUTO_TEST_CASE(an_addition_syncs_the_leads_then_adds_their_ids_to_the_list) {
  auto dest = marketo_list();
  auto b = batch_of(delivery_op::upsert, {"zoë@exämple.com", "bad", "big@x.com", "gone@x.com",
                                          "Zoë@Exämple.com"});
  auto job = dest.make_job(b);
  BOOST_REQUIRE(job != nullptr);
  auto first = job->start();
  BOOST_REQUIRE((first.what == job_step::kind::send));
  BOOST_TEST(first.request.url == "http://127.0.0.1:8767/rest/v1/leads.json");
  BOOST_TEST(json::parse(first.request.body)["action"] == "createOrUpdate");
  BOOST_TEST(json::parse(first.request.body)["input"][2]["email"] == "big@x.com");
  // Lead ids past 2^53 stay exact; two keys Marketo matches to one lead send its id once.
  auto second = job->next(results({{{"id", 1001}, {"status", "created"}},
                                   lead_skip("1003", "Invalid email address"),
                                   {{"id", 9007199254740993}, {"status", "updated"}},
                                   {{"id", 1004}, {"status", "created"}},
                                   {{"id", 1001}, {"status", "updated"}}}));
  BOOST_REQUIRE((second.what == job_step::kind::send));
  BOOST_TEST(second.request.method == "POST");
  BOOST_TEST(second.request.url == "http://127.0.0.1:8767/rest/v1/lists/1021/leads.json");
  BOOST_TEST(second.request.body ==
             R"({"input":[{"id":1001},{"id":9007199254740993},{"id":1004}]})");
  auto done = job->next(results({{{"id", 1001}, {"status", "added"}},
                                 {{"id", 9007199254740993}, {"status", "added"}},
                                 list_skip(1004, "1004", "Lead not found")}));
  BOOST_REQUIRE((done.what == job_step::kind::done));
  BOOST_REQUIRE(done.outcomes.size() == 5u);
  BOOST_TEST(delivered_as(done.outcomes[0], "1001"));
  BOOST_TEST((done.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(done.outcomes[1].reason == "skipped: 1003 Invalid email address");
  BOOST_TEST(delivered_as(done.outcomes[2], "9007199254740993"));
  // Deleted between the sync and the add: rejected, not retried.
  BOOST_TEST((done.outcomes[3].what == record_outcome::kind::rejected));
  BOOST_TEST(done.outcomes[3].reason.find("1004 Lead not found") != std::string::npos);
  BOOST_TEST(delivered_as(done.outcomes[4], "1001"));
}

BOOST_AUTO_TEST_CASE(an_addition_job_never_settles_a_lead_as_retryable) {
  auto dest = marketo_list();
  auto b = batch_of(delivery_op::upsert, {"a@x.com", "b@x.com"});
  // The sync answers one lead only: the job starts over (both requests are safe to repeat).
  auto job = dest.make_job(b);
  job->start();
  auto short_sync = job->next(results({{{"id", 7}, {"status", "created"}}}));
  BOOST_REQUIRE((short_sync.what == job_step::kind::failed));
  BOOST_TEST((short_sync.verdict.what == batch_verdict::kind::retry));
  // The list answers one id only: the same.
  job = dest.make_job(b);
  job->start();
  job->next(results({{{"id", 7}, {"status", "created"}}, {{"id", 8}, {"status", "created"}}}));
  auto short_add = job->next(results({{{"id", 8}, {"status", "added"}}}));
  BOOST_REQUIRE((short_add.what == job_step::kind::failed));
  BOOST_TEST((short_add.verdict.what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(the_list_request_reads_throttles_tokens_and_a_missing_list) {
  auto dest = marketo_list();
  auto b = batch_of(delivery_op::upsert, {"a@x.com"});
  auto added = [&] {
    auto job = dest.make_job(b);
    job->start();
    job->next(results({{{"id", 7}, {"status", "created"}}}));
    return job;
  };
  auto throttled =
      added()->next(failed_with("606", "Max rate limit '100' exceeded with in '20' secs"));
  BOOST_REQUIRE((throttled.what == job_step::kind::failed));
  BOOST_TEST((throttled.verdict.what == batch_verdict::kind::retry));
  BOOST_TEST(throttled.verdict.retry_after.count() == 20000);
  auto job = added();
  auto refused = job->next(failed_with("602", "Access token expired"));
  BOOST_TEST(refused.verdict.token_rejected);
  // Sent again with a new token, the same job reads the list's answer.
  auto done = job->next(results({{{"id", 7}, {"status", "added"}}}));
  BOOST_REQUIRE((done.what == job_step::kind::done));
  BOOST_TEST(delivered_as(done.outcomes[0], "7"));
  auto missing = added()->next(failed_with("1013", "Static list not found"));
  BOOST_TEST((missing.verdict.what == batch_verdict::kind::fatal));  // no record to blame
  BOOST_TEST(missing.verdict.reason == "Marketo 1013: Static list not found");
}

BOOST_AUTO_TEST_CASE(removals_take_the_kept_ids_out_of_the_list) {
  auto b = batch_of(delivery_op::remove, {"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"});
  b.records[0].dest_id = "1001";
  b.records[1].dest_id = "";  // never delivered by this state
  b.records[2].dest_id = "1003";
  b.records[3].dest_id = "1004";
  b.records[4].dest_id = "9007199254740993";
  auto dest = marketo_list();
  BOOST_TEST(!dest.make_job(b));
  auto req = dest.build_request(b);
  BOOST_TEST(req.method == "DELETE");
  BOOST_TEST(req.url == "http://127.0.0.1:8767/rest/v1/lists/1021/leads.json");
  BOOST_TEST(req.body ==
             R"({"input":[{"id":1001},{"id":1003},{"id":1004},{"id":9007199254740993}]})");
  auto v = dest.interpret(b, results({{{"id", 1001}, {"status", "removed"}},
                                      list_skip(1003, "1015", "Lead not in list"),
                                      list_skip(1004, "1004", "Lead not found")}));
  BOOST_TEST(delivered_as(v.outcomes[0], "1001"));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[1].reason.find("cannot be taken out of list 1021") != std::string::npos);
  BOOST_TEST(delivered_as(v.outcomes[2], "1003"));  // not in the list: done
  BOOST_TEST(delivered_as(v.outcomes[3], "1004"));  // the lead is gone: done
  BOOST_TEST((v.outcomes[4].what == record_outcome::kind::retryable));  // no answer for it
}

BOOST_AUTO_TEST_SUITE_END()
