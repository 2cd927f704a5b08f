// The Klaviyo connector against hand-written bodies and answers from Klaviyo's reference: the
// Bulk Import Profiles body (exact numbers, NULL as "", Unicode, attributes vs properties), the
// job's polling, import errors by payload and by pointer over pages, its checkpoint, and the
// list removal's lookup and DELETE.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/klaviyo.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

const std::string kl_base = "https://a.klaviyo.com";

klaviyo_destination kl_dest(const json& extra = json::object(),
                            sync_mode mode = sync_mode::upsert) {
  json options = {{"api_key", "pk_live_1"}, {"poll_initial", "1s"}, {"poll_max", "4s"}};
  options.merge_patch(extra);
  return klaviyo_destination(context_for(klaviyo_destination::type(), options, mode));
}

delivery_batch kl_profiles(delivery_op op, const std::vector<std::string>& keys) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"first_name"};
  for (const auto& k : keys)
    b.records.push_back(record(k, op, encode_row({txt("n")})));
  return b;
}

json kl_job_answer(const std::string& id, const std::string& status, int failed = 0) {
  return {{"data", {{"type", "profile-bulk-import-job"}, {"id", id},
                    {"attributes", {{"status", status}, {"total_count", 4},
                                    {"completed_count", 4 - failed}, {"failed_count", failed}}}}}};
}

json kl_import_error(json payload, const std::string& pointer, const std::string& detail) {
  return {{"type", "import-error"}, {"id", "e1"},
          {"attributes", {{"code", "invalid"}, {"title", "Invalid input."}, {"detail", detail},
                          {"source", {{"pointer", pointer}}}, {"original_payload", payload}}}};
}

bool kl_is(const record_outcome& o, record_outcome::kind k) {
  return o.what == k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(klaviyo_connector)

BOOST_AUTO_TEST_CASE(import_body_puts_attributes_by_name_and_the_rest_in_properties) {
  delivery_batch b;
  b.field_names = {"first_name", "big", "amount", "d38", "note", "gone", "location.city",
                   "properties.tier", "phone_number", "email"};
  b.records.push_back(record(
      "zoë@example.com", delivery_op::upsert,
      encode_row({txt("Zoë 顧客"), num(9007199254740993), cell::of_decimal("12345678901234567.89"),
                  cell::of_decimal("12345678901234567890123456789012345678"), txt(""), null(),
                  txt("Zürich"), txt("gold"), null(), txt("other@example.com")})));
  auto req = kl_dest({{"list_id", "Xy12ab"}}).build_request(b);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == kl_base + "/api/profile-bulk-import-jobs");
  BOOST_TEST(header_of(req, "Authorization") == "Klaviyo-API-Key pk_live_1");
  BOOST_TEST(header_of(req, "revision") == "2025-01-15");
  BOOST_TEST(header_of(req, "Content-Type") == "application/vnd.api+json");
  // Written by hand: the key as email (a mapped email loses to it), numbers as their exact
  // literals, NULL and "" as "" (a bulk import ignores null), a NULL phone number left out.
  const std::string expected =
      R"({"data":{"attributes":{"profiles":{"data":[{"attributes":{"email":"zoë@example.com",)"
      R"("first_name":"Zoë 顧客","location":{"city":"Zürich"},"properties":{)"
      R"("amount":12345678901234567.89,"big":9007199254740993,)"
      R"("d38":12345678901234567890123456789012345678,"gone":"","note":"","tier":"gold"}},)"
      R"("type":"profile"}]}},"relationships":{"lists":{"data":[{"id":"Xy12ab","type":"list"}]}},)"
      R"("type":"profile-bulk-import-job"}})";
  BOOST_TEST(req.body == expected);
}

BOOST_AUTO_TEST_CASE(the_identifier_option_names_the_key_attribute) {
  auto b = kl_profiles(delivery_op::upsert, {"+4915112345678"});
  auto body = json::parse(kl_dest({{"identifier", "phone_number"}}).build_request(b).body);
  auto attributes = body["data"]["attributes"]["profiles"]["data"][0]["attributes"];
  BOOST_TEST(attributes == json({{"phone_number", "+4915112345678"}, {"first_name", "n"}}));
  BOOST_TEST(!body["data"].contains("relationships"));
}

BOOST_AUTO_TEST_CASE(audience_needs_a_list_and_one_key_column) {
  auto ctx = context_for(klaviyo_destination::type(), {{"api_key", "k"}}, sync_mode::audience,
                         {"email", "region"});
  config_errors errors;
  klaviyo_destination::type().check(ctx, "destination", errors);
  BOOST_TEST(has_text(errors.items(), "destination.list_id: is required in audience mode"));
  BOOST_TEST(has_text(errors.items(), "exactly one key column"));
  BOOST_TEST(kl_dest().batch_size(delivery_op::upsert) == 10000u);
  BOOST_TEST(kl_dest().batch_size(delivery_op::remove) == 100u);
}

BOOST_AUTO_TEST_CASE(a_job_is_polled_then_its_errors_read_over_pages) {
  auto b = kl_profiles(delivery_op::upsert, {"a@x.com", "b@x.com", "c@x.com", "d@x.com"});
  auto dest = kl_dest();
  auto job = dest.make_job(b);
  auto step = job->start();
  BOOST_TEST(step.request.method == "POST");
  BOOST_TEST(job->checkpoint().empty());
  step = job->next(response(202, kl_job_answer("JOB1", "queued")));
  BOOST_TEST(job->checkpoint() == "JOB1");  // accepted: a crash polls it, never submits again
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/JOB1");
  BOOST_TEST(step.delay.count() == 1000);
  step = job->next(response(200, kl_job_answer("JOB1", "processing")));
  BOOST_TEST(step.delay.count() == 2000);
  step = job->next(response(200, kl_job_answer("JOB1", "complete", 2)));
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/JOB1/import-errors");
  const std::string next = "https://a.klaviyo.com/api/profile-bulk-import-jobs/JOB1/import-errors?page%5Bcursor%5D=bmV4dA";
  step = job->next(response(
      200, {{"data", {kl_import_error({{"type", "profile"}, {"attributes", {{"email", "C@X.com"}}}},
                                   "/data/attributes/profiles/data/2/attributes/email",
                                   "Invalid email address")}},
            {"links", {{"next", next}}}}));
  BOOST_TEST(step.request.url == next);
  step = job->next(response(
      200, {{"data", {kl_import_error(nullptr, "/data/attributes/profiles/data/0/attributes/phone_number",
                                   "Invalid phone number")}},
            {"links", {{"next", nullptr}}}}));
  BOOST_TEST((step.what == job_step::kind::done));
  BOOST_TEST(job->checkpoint().empty());
  BOOST_TEST(kl_is(step.outcomes[0], record_outcome::kind::rejected));
  BOOST_TEST(step.outcomes[0].reason == "Klaviyo invalid: Invalid phone number");
  BOOST_TEST(kl_is(step.outcomes[1], record_outcome::kind::delivered));
  BOOST_TEST(step.outcomes[2].reason == "Klaviyo invalid: Invalid email address");
  BOOST_TEST(kl_is(step.outcomes[3], record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(failures_the_errors_do_not_name_blame_nobody) {
  auto b = kl_profiles(delivery_op::upsert, {"a@x.com", "b@x.com"});
  auto job = kl_dest().make_job(b);
  job->start();
  job->next(response(202, kl_job_answer("J", "complete", 2)));
  auto step = job->next(response(
      200, {{"data", {kl_import_error({{"email", "b@x.com"}}, "", "Invalid email address")}},
            {"links", {{"next", nullptr}}}}));
  BOOST_TEST(kl_is(step.outcomes[0], record_outcome::kind::retryable));
  BOOST_TEST(kl_is(step.outcomes[1], record_outcome::kind::rejected));
}

BOOST_AUTO_TEST_CASE(a_resumed_job_polls_and_a_cancelled_one_goes_again) {
  auto b = kl_profiles(delivery_op::upsert, {"a@x.com"});
  auto job = kl_dest().resume_job(b, "JOB7");
  auto step = job->start();
  BOOST_TEST(step.request.method == "GET");
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/JOB7");
  step = job->next(response(200, kl_job_answer("JOB7", "cancelled")));
  BOOST_TEST((step.what == job_step::kind::failed));
  BOOST_TEST((step.verdict.what == batch_verdict::kind::retry));
  BOOST_TEST(job->checkpoint().empty());
}

BOOST_AUTO_TEST_CASE(a_refused_submission_names_klaviyos_error) {
  auto b = kl_profiles(delivery_op::upsert, {"a@x.com", "b@x.com"});
  auto job = kl_dest().make_job(b);
  job->start();
  json body = {{"errors", {{{"status", 400}, {"code", "invalid"}, {"title", "Invalid input."},
                            {"detail", "Accepts up to 10000 profiles per request."}}}}};
  auto step = job->next(response(400, body));
  BOOST_TEST((step.verdict.what == batch_verdict::kind::reject));
  BOOST_TEST(step.verdict.reason == "Klaviyo 400 invalid: Accepts up to 10000 profiles per request.");
}

BOOST_AUTO_TEST_CASE(chunks_keep_each_body_within_the_limit) {
  delivery_batch b;
  b.field_names = {"note"};
  for (const char* k : {"a@x.com", "b@x.com", "c@x.com"})
    b.records.push_back(record(k, delivery_op::upsert, encode_row({txt(std::string(100, 'n'))})));
  // One profile is {"attributes":{"email":"a@x.com","properties":{"note":"nnn…"}},"type":"profile"}:
  // 176 bytes and a comma; the envelope {"data":{"attributes":{"profiles":{"data":[]}},
  // "type":"profile-bulk-import-job"}} is 81 bytes.
  const std::string one = R"({"attributes":{"email":"a@x.com","properties":{"note":")" +
                          std::string(100, 'n') + R"("}},"type":"profile"})";
  BOOST_TEST(one.size() == 176u);
  using chunks = std::vector<std::pair<size_t, size_t>>;
  BOOST_TEST((klaviyo_chunks(b, "email", "", 81 + 3 * 177) == chunks{{0, 3}}));
  BOOST_TEST((klaviyo_chunks(b, "email", "", 81 + 3 * 177 - 1) == chunks{{0, 2}, {2, 3}}));
  BOOST_TEST((klaviyo_chunks(b, "email", "", 10) == chunks{{0, 1}, {1, 2}, {2, 3}}));
}

BOOST_AUTO_TEST_CASE(a_batch_over_5_mb_goes_as_several_jobs_all_checkpointed) {
  delivery_batch b;
  b.field_names = {"blob"};
  for (int i = 0; i < 6; ++i)  // 6 profiles of 1 MB: two jobs of 4 and 2 under 5,000,000 bytes
    b.records.push_back(record("p" + std::to_string(i) + "@x.com", delivery_op::upsert,
                               encode_row({txt(std::string(1000000, 'b'))})));
  auto dest = kl_dest();
  auto job = dest.make_job(b);
  auto step = job->start();
  BOOST_TEST(json::parse(step.request.body)["data"]["attributes"]["profiles"]["data"].size() == 4u);
  step = job->next(response(202, kl_job_answer("J1", "complete")));
  BOOST_TEST(json::parse(step.request.body)["data"]["attributes"]["profiles"]["data"].size() == 2u);
  BOOST_TEST(job->checkpoint() == "J1");
  step = job->next(response(202, kl_job_answer("J2", "queued")));
  BOOST_TEST(job->checkpoint() == "J1,J2");
  // A crash now: the resumed job polls both jobs and submits nothing.
  auto resumed = dest.resume_job(b, "J1,J2");
  step = resumed->start();
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/J1");
  step = resumed->next(response(200, kl_job_answer("J1", "complete")));
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/J2");
  step = resumed->next(response(200, kl_job_answer("J2", "complete", 1)));
  BOOST_TEST(step.request.url == kl_base + "/api/profile-bulk-import-jobs/J2/import-errors");
  step = resumed->next(response(
      200, {{"data", {kl_import_error(nullptr, "/data/attributes/profiles/data/1/attributes", "Too large")}},
            {"links", {{"next", nullptr}}}}));
  BOOST_TEST((step.what == job_step::kind::done));
  BOOST_TEST(kl_is(step.outcomes[4], record_outcome::kind::delivered));
  BOOST_TEST(step.outcomes[5].reason == "Klaviyo invalid: Too large");  // index 1 of the 2nd job
}

BOOST_AUTO_TEST_CASE(a_removal_looks_ids_up_then_deletes_the_members) {
  auto b = kl_profiles(delivery_op::remove, {"a@x.com", "q\"uote@x.com", "gone@x.com"});
  auto job = kl_dest({{"list_id", "Xy12ab"}}, sync_mode::audience).make_job(b);
  auto step = job->start();
  // filter=any(email,["a@x.com","q\"uote@x.com","gone@x.com"]), percent-encoded by hand.
  BOOST_TEST(step.request.url ==
             kl_base + "/api/profiles?filter=any%28email%2C%5B%22a%40x.com%22%2C%22q%5C%22uote%40x.com"
                    "%22%2C%22gone%40x.com%22%5D%29&page%5Bsize%5D=100&fields%5Bprofile%5D=email");
  step = job->next(response(
      200, {{"data", {{{"type", "profile"}, {"id", "01P2"}, {"attributes", {{"email", "Q\"uote@x.com"}}}},
                      {{"type", "profile"}, {"id", "01P1"}, {"attributes", {{"email", "a@x.com"}}}}}},
            {"links", {{"next", nullptr}}}}));
  BOOST_TEST(step.request.method == "DELETE");
  BOOST_TEST(step.request.url == kl_base + "/api/lists/Xy12ab/relationships/profiles");
  BOOST_TEST(step.request.body ==
             R"({"data":[{"id":"01P1","type":"profile"},{"id":"01P2","type":"profile"}]})");
  step = job->next(response(204, nullptr));
  BOOST_TEST((step.what == job_step::kind::done));
  BOOST_TEST(step.outcomes[0].dest_id == "01P1");
  BOOST_TEST(kl_is(step.outcomes[2], record_outcome::kind::delivered));  // no profile: no member
}

BOOST_AUTO_TEST_CASE(a_removal_of_rows_no_profile_has_sends_no_delete) {
  auto b = kl_profiles(delivery_op::remove, {"gone@x.com"});
  auto job = kl_dest({{"list_id", "L"}}, sync_mode::audience).make_job(b);
  job->start();
  auto step = job->next(response(200, {{"data", json::array()}, {"links", {{"next", nullptr}}}}));
  BOOST_TEST((step.what == job_step::kind::done));
}

BOOST_AUTO_TEST_SUITE_END()
