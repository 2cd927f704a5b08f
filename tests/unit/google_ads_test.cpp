// Google Ads Customer Match: identifiers against hashes computed with `printf %s '...' |
// sha256sum`, and the offline user data job's requests, checkpoints and answers from fixture JSON.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/google_ads.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

// printf %s 'jane.doe@example.com' | sha256sum, and so on for each.
const std::string jane_example = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d";
const std::string janedoe_gmail = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69";
const std::string emile_example = "1c8e7ea7042d71acc3887871d6cced16a91e22875f900721ba0defcc3cb92c50";
const std::string uk_phone = "3f7148288024ead636ea174a4195fde1ff2150acec43c9db8756a03aa26dff92";  // +442079461234
const std::string us_phone = "f5d25111e6d22d97db3057610016f70c7be6b2ef396598be0f99ea4255e79fff";  // +15550101234
const std::string ny_phone = "d360a79e746532a6a1e7b8164440b04cdd8797e23126f7a4de7a4b67fdcdba98";  // +12125650000
const std::string oneil = "67a42a846e98e3c1a96cd6ba14883a5ea05990cd93964ce8b832aa9497ca785c";
const std::string maryann_oneil = "c95bf173b4de21029c72231887cb32c16ed44852cd2c67dc479aa6ffd4834221";
const std::string emile_hash = "a56b363ca23dd9db9bd117840f28aab076b474f8cbea85416f715281dc809d56";
const std::string yamada = "5f34cd8399195fa23a32ace56c87f461adcbee99d90d9e60057f01684b3b46da";  // 山田

const std::string job_name = "customers/1234567890/offlineUserDataJobs/7001";

google_ads_destination google_ads(const json& extra = json::object()) {
  json options = {{"endpoint", "http://127.0.0.1:8093"},
                  {"token_url", "http://127.0.0.1:8093/token"},
                  {"customer_id", "123-456-7890"},
                  {"login_customer_id", "999-000-1111"},
                  {"user_list_id", "4000000001"},
                  {"developer_token", "dev-token-abc"},
                  {"client_id", "client 1"},
                  {"client_secret", "s&cret=1"},
                  {"refresh_token", "1//refresh+token"},
                  {"poll_initial", "2s"}};
  options.merge_patch(extra);
  return google_ads_destination(
      context_for(google_ads_destination::type(), options, sync_mode::audience));
}

/// Members with an email and a phone each.
delivery_batch ga_members(delivery_op op, const std::vector<std::pair<std::string, std::string>>& rows) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"hashedEmail", "hashedPhoneNumber"};
  for (const auto& [email, phone] : rows)
    b.records.push_back(record(email.empty() ? "k" + phone : email, op,
                               encode_row({email.empty() ? null() : txt(email),
                                           phone.empty() ? null() : txt(phone)})));
  return b;
}

std::string id_of(google_ads_field f, const cell& c) {
  return google_ads_identifier(f, c);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(google_ads_identifiers)

BOOST_AUTO_TEST_CASE(emails_are_trimmed_lowercased_and_gmail_loses_its_periods) {
  BOOST_TEST(id_of(google_ads_field::email, txt("  Jane.Doe@Example.COM ")) == jane_example);
  BOOST_TEST(id_of(google_ads_field::email, txt("Jane.Doe@GMAIL.com")) == janedoe_gmail);
  BOOST_TEST(normalize_google_ads_value(google_ads_field::email, "j.a.n.e.d.o.e@googlemail.com") ==
             "janedoe@googlemail.com");
  BOOST_TEST(id_of(google_ads_field::email, txt("\u00c9MILE@example.com")) == emile_example);
  BOOST_TEST(id_of(google_ads_field::email, txt("E\u0301MILE@example.com")) == emile_example);
}

BOOST_AUTO_TEST_CASE(phones_are_e164_with_a_plus) {
  BOOST_TEST(id_of(google_ads_field::phone, txt("0044 20 7946 1234")) == uk_phone);
  BOOST_TEST(id_of(google_ads_field::phone, txt("+1 (555) 010-1234")) == us_phone);
  BOOST_TEST(id_of(google_ads_field::phone, num(12125650000)) == ny_phone);  // an integer column
  BOOST_TEST(id_of(google_ads_field::phone, txt("ext. -")) == "");
}

BOOST_AUTO_TEST_CASE(names_lose_case_and_punctuation_but_keep_their_words) {
  BOOST_TEST(id_of(google_ads_field::last_name, txt("O'NEIL")) == oneil);
  BOOST_TEST(id_of(google_ads_field::last_name, txt("O\u2019Neil")) == oneil);
  BOOST_TEST(id_of(google_ads_field::first_name, txt("  Mary-Ann   O'Neil ")) == maryann_oneil);
  BOOST_TEST(id_of(google_ads_field::first_name, txt("\u00c9MILE")) == emile_hash);
  BOOST_TEST(id_of(google_ads_field::first_name, txt("\u5c71\u7530")) == yamada);
}

BOOST_AUTO_TEST_CASE(country_and_postal_codes_are_sent_in_clear) {
  BOOST_TEST(id_of(google_ads_field::country_code, txt(" us ")) == "US");
  BOOST_TEST(id_of(google_ads_field::postal_code, txt(" 94043 ")) == "94043");
}

BOOST_AUTO_TEST_CASE(null_and_empty_send_nothing_and_hashes_pass_through) {
  BOOST_TEST(id_of(google_ads_field::email, null()) == "");
  BOOST_TEST(id_of(google_ads_field::email, txt("   ")) == "");
  std::string upper = jane_example;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(id_of(google_ads_field::email, txt(upper)) == jane_example);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(google_ads_job)

BOOST_AUTO_TEST_CASE(the_token_request_is_a_refresh_token_grant) {
  auto req = *google_ads().build_token_request();
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:8093/token");
  BOOST_TEST(req.body == "grant_type=refresh_token&client_id=client%201&client_secret=s%26cret%3D1"
                         "&refresh_token=1%2F%2Frefresh%2Btoken");
  BOOST_TEST(header_of(req, "Content-Type") == "application/x-www-form-urlencoded");
}

BOOST_AUTO_TEST_CASE(a_job_creates_adds_runs_and_polls_and_reads_partial_failure) {
  auto dest = google_ads();
  auto b = ga_members(delivery_op::upsert, {{"Jane.Doe@Example.com", ""}, {"bad@example.com", ""},
                                         {"", "0044 20 7946 1234"}, {"", ""}});
  auto job = dest.make_job(b);
  auto step = job->start();
  BOOST_TEST(step.request.url ==
             "http://127.0.0.1:8093/v26/customers/1234567890/offlineUserDataJobs:create");
  BOOST_TEST(header_of(step.request, "developer-token") == "dev-token-abc");
  BOOST_TEST(header_of(step.request, "login-customer-id") == "9990001111");
  BOOST_TEST(json::parse(step.request.body) ==
             json::parse(R"({"job":{"type":"CUSTOMER_MATCH_USER_LIST","customerMatchUserListMetadata":)"
                         R"({"userList":"customers/1234567890/userLists/4000000001"}}})"));
  BOOST_TEST(job->checkpoint() == "");

  step = job->next(response(200, {{"resourceName", job_name}}));
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/" + job_name + ":addOperations");
  auto body = json::parse(step.request.body);
  BOOST_TEST(body["enablePartialFailure"] == true);
  BOOST_TEST(body["operations"].size() == 3u);  // the member without identifiers is not sent
  BOOST_TEST(body["operations"][0] ==
             json::parse(R"({"create":{"userIdentifiers":[{"hashedEmail":")" + jane_example + "\"}]}}"));
  BOOST_TEST(body["operations"][2]["create"]["userIdentifiers"][0]["hashedPhoneNumber"] == uk_phone);
  BOOST_TEST(job->checkpoint() == "");  // nothing added yet: starting over is harmless

  json partial = {{"partialFailureError",
                   {{"code", 3},
                    {"details", json::array({{{"errors", json::array({{
                        {"errorCode", {{"offlineUserDataJobError", "INVALID_SHA256_FORMAT"}}},
                        {"message", "The SHA256 encoded value is malformed."},
                        {"location", {{"fieldPathElements", json::array({
                            {{"fieldName", "operations"}, {"index", 1}}, {{"fieldName", "create"}}})}}}}})}}})}}}};
  step = job->next(response(200, partial));
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/" + job_name + ":run");
  auto saved = json::parse(job->checkpoint());  // added: a crash from here on never adds again
  BOOST_TEST(saved["job"] == job_name);
  BOOST_TEST(saved["rejected"].contains("bad@example.com"));

  step = job->next(response(200, {{"name", "customers/1234567890/operations/9"}, {"done", false}}));
  BOOST_TEST(step.request.method == "GET");
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/customers/1234567890/operations/9");
  BOOST_TEST(step.delay.count() == 2000);
  BOOST_TEST(json::parse(job->checkpoint())["operation"] == "customers/1234567890/operations/9");

  step = job->next(response(200, {{"name", "customers/1234567890/operations/9"}, {"done", true}}));
  BOOST_REQUIRE(step.what == job_step::kind::done);
  const std::string jane_identity = R"({"hashedEmail":")" + jane_example + "\"}";
  BOOST_TEST(step.outcomes[0].dest_id == jane_identity);
  BOOST_TEST((step.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(step.outcomes[1].reason.find("INVALID_SHA256_FORMAT") != std::string::npos);
  BOOST_TEST((step.outcomes[2].what == record_outcome::kind::delivered));
  BOOST_TEST(step.outcomes[3].reason.find("no identifier") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(identifiers_past_the_request_limit_go_in_several_requests_to_one_job) {
  // Two identifiers each, three per request: one member per request.
  auto b = ga_members(delivery_op::upsert, {{"a@b.co", "+1 555 0100"}, {"c@d.co", "+1 555 0101"},
                                            {"e@f.co", ""}});
  auto job = google_ads({{"identifiers_per_request", 3}}).make_job(b);
  job->start();
  auto step = job->next(response(200, {{"resourceName", job_name}}));
  BOOST_TEST(json::parse(step.request.body)["operations"].size() == 1u);
  step = job->next(response(200, json::object()));
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/" + job_name + ":addOperations");
  BOOST_TEST(json::parse(step.request.body)["operations"].size() == 2u);  // 2 + 1 identifiers
  BOOST_TEST(job->checkpoint() == "");  // not all added yet: a crash starts a new job
  json partial = {{"partialFailureError",
                   {{"details", json::array({{{"errors", json::array({{
                       {"message", "The SHA256 encoded value is malformed."},
                       {"location", {{"fieldPathElements", json::array({
                           {{"fieldName", "operations"}, {"index", 1}}})}}}}})}}})}}}};
  step = job->next(response(200, partial));  // index 1 of the 2nd request: the 3rd member
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/" + job_name + ":run");
  auto rejected = json::parse(job->checkpoint())["rejected"];
  BOOST_TEST(rejected.size() == 1u);
  BOOST_TEST(rejected.contains("e@f.co"));
}

BOOST_AUTO_TEST_CASE(a_resumed_job_runs_or_polls_and_never_adds_again) {
  auto b = ga_members(delivery_op::upsert, {{"Jane.Doe@Example.com", ""}});
  auto added = json{{"job", job_name}, {"rejected", json::object()}}.dump();
  auto step = google_ads().resume_job(b, added)->start();
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/" + job_name + ":run");
  auto run = json{{"job", job_name}, {"rejected", json::object()},
                  {"operation", "customers/1234567890/operations/9"}}.dump();
  step = google_ads().resume_job(b, run)->start();
  BOOST_TEST(step.request.method == "GET");
  BOOST_TEST(step.request.url == "http://127.0.0.1:8093/v26/customers/1234567890/operations/9");
}

BOOST_AUTO_TEST_CASE(removes_send_the_identity_the_member_was_added_with) {
  delivery_batch b;
  b.field_names = {"hashedEmail"};
  auto identity = json{{"hashedEmail", jane_example}, {"hashedFirstName", emile_hash},
                       {"countryCode", "FR"}}.dump();
  b.records.push_back(record("jane", delivery_op::remove, encode_row({txt("ignored@x.org")}), identity));
  auto job = google_ads().make_job(b);
  job->start();
  auto step = job->next(response(200, {{"resourceName", job_name}}));
  auto ids = json::parse(step.request.body)["operations"][0]["remove"]["userIdentifiers"];
  BOOST_TEST(ids == json::parse(R"([{"hashedEmail":")" + jane_example +
                                R"("},{"addressInfo":{"countryCode":"FR","hashedFirstName":")" +
                                emile_hash + "\"}}]"));
}

BOOST_AUTO_TEST_CASE(an_operation_ending_in_error_sends_the_batch_again_as_a_new_job) {
  auto job = google_ads().make_job(ga_members(delivery_op::upsert, {{"a@b.co", ""}}));
  job->start();
  job->next(response(200, {{"resourceName", job_name}}));
  job->next(response(200, json::object()));
  auto step = job->next(response(200, {{"name", "customers/1234567890/operations/9"},
                                       {"done", true},
                                       {"error", {{"code", 13}, {"message", "Internal error."}}}}));
  BOOST_REQUIRE(step.what == job_step::kind::failed);
  BOOST_TEST((step.verdict.what == batch_verdict::kind::retry));
  BOOST_TEST(job->checkpoint() == "");
}

BOOST_AUTO_TEST_CASE(unauthenticated_refuses_the_token_and_resource_exhausted_pauses) {
  auto dest = google_ads();
  auto b = ga_members(delivery_op::upsert, {{"a@b.co", ""}});
  auto expired = dest.classify_error(
      response(401, {{"error", {{"code", 401}, {"status", "UNAUTHENTICATED"}, {"message", "expired"}}}}), 1);
  BOOST_TEST(expired.token_rejected);
  json quota = {{"error", {{"code", 429}, {"status", "RESOURCE_EXHAUSTED"}, {"message", "Too many"},
                           {"details", json::array({{{"errors", json::array({{
                               {"errorCode", {{"quotaError", "RESOURCE_EXHAUSTED"}}},
                               {"details", {{"quotaErrorDetails", {{"retryDelay", "30s"}}}}}}})}}})}}}};
  auto signal = dest.read_rate_signal(response(429, quota));
  BOOST_REQUIRE(signal.pause.has_value());
  BOOST_TEST(signal.pause->count() == 30000);
  auto bad_list = dest.classify_error(
      response(400, {{"error", {{"code", 400}, {"status", "INVALID_ARGUMENT"}, {"message", "bad list"}}}}), 2);
  BOOST_TEST((bad_list.what == batch_verdict::kind::fatal));
  json conflict = {{"error", {{"code", 409}, {"status", "ABORTED"}, {"message", "Multiple requests"},
                              {"details", json::array({{{"errors", json::array({{
                                  {"errorCode", {{"databaseError", "CONCURRENT_MODIFICATION"}}}}})}}})}}}};
  auto again = dest.classify_error(response(409, conflict), 2);
  BOOST_TEST((again.what == batch_verdict::kind::retry));
  BOOST_TEST(again.retry_after.count() == 2000);
  BOOST_TEST(again.reason.find("databaseError.CONCURRENT_MODIFICATION") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
