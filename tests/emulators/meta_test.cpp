// The Meta Custom Audiences emulator over HTTP: tokens, users add/remove, validation, throttling.
#include <cctype>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using backflow::testing::http_call;
using nlohmann::json;

namespace {

json emails(const std::vector<std::string>& addresses) {
  json data = json::array();
  for (const auto& a : addresses)
    data.push_back(meta::hash(a));
  return {{"schema", "EMAIL_SHA256"}, {"data", data}};
}

std::string form_encode(const std::string& text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

json error_of(const backflow::testing::test_response& r) { return r.json()["error"]; }

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_api)

BOOST_AUTO_TEST_CASE(requests_need_the_access_token) {
  meta m({"--token", "meta-secret"});
  const std::string path = "/v19.0/23850000000000001/users";
  const std::string body = json{{"payload", emails({"a@x.com"})}}.dump();
  for (const auto& r : {http_call("POST", m.url(path), body),
                        http_call("POST", m.url(path + "?access_token=emulator-token"), body),
                        http_call("POST", m.url(path), body, {"Authorization: Bearer nope"})}) {
    BOOST_TEST(r.status == 400);
    auto e = error_of(r);
    BOOST_TEST(e["code"] == 190);
    BOOST_TEST(e["type"] == "OAuthException");
    BOOST_TEST(e["message"] == "Invalid OAuth access token - Cannot parse access token");
    BOOST_TEST(e["fbtrace_id"].get<std::string>().size() == 11u);
  }
  BOOST_TEST(http_call("POST", m.url(path + "?access_token=meta-secret"), body).status == 200);
  BOOST_TEST(http_call("POST", m.url(path), body, {"Authorization: Bearer meta-secret"}).status ==
             200);
  BOOST_TEST(m.control_get("records")["audiences"]["23850000000000001"]["size"] == 1);
}

BOOST_AUTO_TEST_CASE(audiences_must_exist) {
  meta m({"--audience", "111", "--audience", "222"});
  auto unknown = m.users("POST", emails({"a@x.com"}), nullptr, "23850000000000001");
  BOOST_REQUIRE_EQUAL(unknown.status, 400);
  auto e = error_of(unknown);
  BOOST_TEST(e["code"] == 100);
  BOOST_TEST(e["error_subcode"] == 33);
  BOOST_TEST(e["type"] == "GraphMethodException");
  BOOST_TEST(
      e["message"].get<std::string>().rfind(
          "Unsupported post request. Object with ID '23850000000000001' does not exist", 0) == 0);
  BOOST_TEST(m.users("POST", emails({"a@x.com"}), nullptr, "222").status == 200);
  m.control_post("audiences", {{"id", "333"}, {"account", "act_42"}});
  auto created = m.users("POST", emails({"a@x.com"}), nullptr, "333");
  BOOST_TEST(created.status == 200);
  BOOST_TEST(json::parse(created.header("X-Business-Use-Case-Usage")).contains("42"));
  BOOST_TEST(m.control_get("audiences")["audiences"].size() == 3u);
  m.control_post("reset");
  BOOST_TEST(m.control_get("audiences")["audiences"].size() == 2u);  // back to the CLI's
}

BOOST_AUTO_TEST_CASE(members_are_a_set_with_counters) {
  meta m;
  auto added = m.users("POST", emails({"a@x.com", "b@x.com", "a@x.com"}));
  BOOST_REQUIRE_EQUAL(added.status, 200);
  BOOST_TEST(added.json()["audience_id"] == meta::audience);
  BOOST_TEST(added.json()["num_received"] == 3);
  BOOST_TEST(added.json()["num_invalid_entries"] == 0);
  BOOST_TEST(!added.json()["session_id"].get<std::string>().empty());
  BOOST_TEST(m.users("POST", emails({"a@x.com"})).status == 200);
  auto removed = m.users("DELETE", emails({"b@x.com", "c@x.com"}));
  BOOST_REQUIRE_EQUAL(removed.status, 200);
  BOOST_TEST(removed.json()["num_received"] == 2);
  auto records = m.control_get("records")["audiences"][meta::audience];
  BOOST_TEST(records["size"] == 1);
  auto members = records["members"];
  BOOST_REQUIRE_EQUAL(members.size(), 3u);
  BOOST_TEST(members[0] == json({{"identity", {{"EMAIL", meta::hash("a@x.com")}}},
                                 {"adds", 3},
                                 {"removes", 0},
                                 {"member", true}}));
  BOOST_TEST(members[1]["member"] == false);
  BOOST_TEST(members[1]["removes"] == 1);
  BOOST_TEST(members[2]["adds"] == 0);  // removing a stranger is harmless
  auto sizes = m.control_get("records?members=false")["audiences"][meta::audience];
  BOOST_TEST(!sizes.contains("members"));
  BOOST_TEST(sizes["size"] == 1);
}

BOOST_AUTO_TEST_CASE(multi_key_rows_are_one_identity) {
  meta m;
  const auto email = meta::hash("a@x.com");
  const auto phone = meta::hash("15551234567");
  std::string upper = email;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  json payload = {
      {"schema", {"EMAIL", "PHONE", "FN", "EXTERN_ID"}},
      {"data", {{email, phone, "", "crm-1"}, {upper, phone, "", "crm-1"}, {"", "", "", "crm-2"}}}};
  auto r = m.users("POST", payload);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.json()["num_invalid_entries"] == 0);
  json reordered = {{"schema", {"EXTERN_ID", "PHONE_SHA256", "EMAIL_SHA256"}},
                    {"data", {{"crm-1", phone, email}}}};
  BOOST_TEST(m.users("DELETE", reordered).status == 200);
  auto members = m.members();
  BOOST_REQUIRE_EQUAL(members.size(), 2u);
  BOOST_TEST(members[0]["identity"] ==
             json({{"EMAIL", email}, {"PHONE", phone}, {"EXTERN_ID", "crm-1"}}));
  BOOST_TEST(members[0]["adds"] == 2);
  BOOST_TEST(members[0]["member"] == false);
  BOOST_TEST(members[1]["identity"] == json({{"EXTERN_ID", "crm-2"}}));
}

BOOST_AUTO_TEST_CASE(invalid_entries_are_counted_not_applied) {
  meta m;
  json payload = {{"schema", {"EMAIL", "MADID"}},
                  {"data",
                   {{meta::hash("a@x.com"), ""},
                    {"a@x.com", ""},
                    {"", ""},
                    {"", "ad-1"},
                    {meta::hash("b").substr(0, 63) + "g", ""},
                    {5, ""}}}};
  auto r = m.users("POST", payload);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto body = r.json();
  BOOST_TEST(body["num_received"] == 6);
  BOOST_TEST(body["num_invalid_entries"] == 4);
  BOOST_TEST(body["invalid_entry_samples"].contains("a@x.com"));
  BOOST_TEST(body["invalid_entry_samples"].contains(""));
  BOOST_TEST(body["invalid_entry_samples"].size() == 4u);
  BOOST_TEST(m.members().size() == 2u);
}

BOOST_AUTO_TEST_CASE(malformed_requests_fail_whole) {
  meta m;
  std::vector<std::pair<json, int>> cases = {
      {{{"schema", {"EMAIL", "PHONE"}}, {"data", {{meta::hash("a"), ""}, {meta::hash("b")}}}},
       1870036},
      {{{"schema", {"EMAIL", "FOO"}}, {"data", {{"", ""}}}}, 0},
      {{{"schema", {"EMAIL", "EMAIL_SHA256"}}, {"data", {{"", ""}}}}, 0},
      {{{"schema", "EXTERN_ID_SHA256"}, {"data", {"x"}}}, 0},
      {{{"schema", "EMAIL"}}, 0},
      {json("not an object"), 0}};
  json big = json::array();
  for (int i = 0; i < 10001; ++i)
    big.push_back(meta::hash(std::to_string(i)));
  cases.push_back({{{"schema", "EMAIL_SHA256"}, {"data", big}}, 1870101});
  for (const auto& [payload, subcode] : cases) {
    auto r = m.users("POST", payload);
    BOOST_TEST(r.status == 400);
    auto e = error_of(r);
    BOOST_TEST(e["code"] == 100);
    BOOST_TEST(e["type"] == "OAuthException");
    if (subcode != 0)
      BOOST_TEST(e["error_subcode"] == subcode);
  }
  auto unknown = m.users("POST", {{"schema", {"EMAIL", "FOO"}}, {"data", json::array()}});
  BOOST_TEST(error_of(unknown)["message"].get<std::string>().find("FOO") != std::string::npos);
  big.erase(big.begin());
  BOOST_TEST(m.users("POST", {{"schema", "EMAIL_SHA256"}, {"data", big}}).status == 200);
  BOOST_TEST(m.members().size() == 10000u);
  for (const std::string body : {"", "{", "[1]", "payload=%7Bnot-json", R"({"payload":"{oops"})"}) {
    auto r = http_call("POST", m.url("/v19.0/23850000000000001/users?access_token=emulator-token"),
                       body, {"Content-Type: application/x-www-form-urlencoded"});
    BOOST_TEST(r.status == 400);
    BOOST_TEST(error_of(r)["code"] == 100);
  }
  BOOST_TEST(m.members().size() == 10000u);
}

BOOST_AUTO_TEST_CASE(sessions_are_tracked) {
  meta m;
  auto session = [](int seq, bool last) {
    return json{{"session_id", 9007199254740993LL},
                {"batch_seq", seq},
                {"last_batch_flag", last},
                {"estimated_num_total", 5}};
  };
  auto first = m.users("POST", emails({"a", "b"}), session(1, false));
  BOOST_TEST(first.json()["session_id"] == "9007199254740993");
  m.users("POST", emails({"c", "d"}), session(2, false));
  m.users("POST", emails({"c", "d"}), session(2, false));  // a retried batch
  m.users("POST", emails({"e"}), session(3, true));
  auto sessions = m.control_get("sessions")["sessions"];
  BOOST_REQUIRE_EQUAL(sessions.size(), 1u);
  BOOST_TEST(sessions[0]["session_id"] == "9007199254740993");
  BOOST_TEST(sessions[0]["batches"] == 4);
  BOOST_TEST(sessions[0]["duplicate_batches"] == 1);
  BOOST_TEST(sessions[0]["batch_seqs"] == json({1, 2, 3}));
  BOOST_TEST(sessions[0]["rows"] == 7);
  BOOST_TEST(sessions[0]["last_batch_seen"] == true);
  BOOST_TEST(sessions[0]["estimated_num_total"] == 5);
  BOOST_TEST(sessions[0]["operation"] == "add");
  BOOST_TEST(m.control_get("records")["audiences"][meta::audience]["size"] == 5);
}

BOOST_AUTO_TEST_CASE(the_hourly_budget_answers_80003) {
  meta m({"--hourly", "4"});
  for (int i = 1; i <= 4; ++i) {
    auto r = m.users("POST", emails({"u" + std::to_string(i)}));
    BOOST_REQUIRE_EQUAL(r.status, 200);
    auto usage = json::parse(r.header("X-Business-Use-Case-Usage"))["100000000000001"][0];
    BOOST_TEST(usage["type"] == "CUSTOM_AUDIENCE");
    BOOST_TEST(usage["call_count"] == i * 25);
    BOOST_TEST(usage["estimated_time_to_regain_access"] == 0);
  }
  auto over = m.users("POST", emails({"late"}));
  BOOST_REQUIRE_EQUAL(over.status, 400);
  auto e = error_of(over);
  BOOST_TEST(e["code"] == 80003);
  BOOST_TEST(e["error_subcode"] == 2446079);
  BOOST_TEST(e["type"] == "OAuthException");
  BOOST_TEST(e["message"].get<std::string>().rfind("(#80003) There have been too many calls", 0) ==
             0);
  BOOST_TEST(over.header("Retry-After").empty());
  auto usage = json::parse(over.header("X-Business-Use-Case-Usage"))["100000000000001"][0];
  BOOST_TEST(usage["call_count"] == 100);
  BOOST_TEST(usage["estimated_time_to_regain_access"].get<int>() >= 1);
  BOOST_TEST(m.members().size() == 4u);
  m.control_post("limits", {{"hourly", 0}});
  BOOST_TEST(m.users("POST", emails({"late"})).status == 200);
  BOOST_TEST(m.control_get("limits") == json({{"latency_ms", 0}, {"hourly", 0}}));
}

BOOST_AUTO_TEST_CASE(form_encoded_and_string_payloads_are_accepted) {
  meta m;
  const std::string path = "/v19.0/23850000000000001/users";
  const auto payload = emails({"a@x.com", "b@x.com"}).dump();
  const auto session = json{{"session_id", 7}, {"batch_seq", 1}, {"last_batch_flag", true}}.dump();
  auto form = http_call("POST", m.url(path),
                        "access_token=emulator-token&payload=" + form_encode(payload) +
                            "&session=" + form_encode(session),
                        {"Content-Type: application/x-www-form-urlencoded"});
  BOOST_REQUIRE_EQUAL(form.status, 200);
  BOOST_TEST(form.json()["session_id"] == "7");
  BOOST_TEST(form.json()["num_received"] == 2);
  auto as_string = http_call("DELETE", m.url(path + "?access_token=emulator-token"),
                             json{{"payload", emails({"a@x.com"}).dump()}}.dump(),
                             {"Content-Type: application/json"});
  BOOST_TEST(as_string.status == 200);
  auto form_delete =
      http_call("DELETE", m.url(path),
                "access_token=emulator-token&payload=" + form_encode(emails({"b@x.com"}).dump()),
                {"Content-Type: application/x-www-form-urlencoded"});
  BOOST_TEST(form_delete.status == 200);
  BOOST_TEST(m.control_get("records")["audiences"][meta::audience]["size"] == 0);
}

BOOST_AUTO_TEST_CASE(faults_apply_to_meta_requests) {
  meta m;
  m.fault({{"match", {{"path_contains", "/users"}}}, {"status", 500}});
  m.fault(
      {{"match", {{"path_contains", "/users"}}},
       {"status", 400},
       {"body",
        json{{"error",
              {{"message", "(#17) User request limit reached"},
               {"type", "OAuthException"},
               {"code", 17},
               {"error_subcode", 2446079},
               {"fbtrace_id", "x"}}}}
            .dump()}});
  BOOST_TEST(m.users("POST", emails({"a"})).status == 500);
  auto throttled = m.users("POST", emails({"a"}));
  BOOST_TEST(throttled.status == 400);
  BOOST_TEST(error_of(throttled)["code"] == 17);
  BOOST_TEST(m.members().empty());
  BOOST_TEST(m.users("POST", emails({"a"})).status == 200);
  BOOST_TEST(m.members().size() == 1u);
  auto log = m.requests();
  BOOST_TEST(log["by_endpoint"]["POST /vXX.X/{audience_id}/users"]["requests"] == 3);
  BOOST_TEST(log["inputs"] == 3);
  auto info = http_call("GET", m.url("/v19.0/23850000000000001?access_token=emulator-token"));
  BOOST_TEST(info.json()["approximate_count_lower_bound"] == 1);
  auto edge = http_call("POST", m.url("/v19.0/23850000000000001/nope?access_token=emulator-token"));
  BOOST_TEST(error_of(edge)["code"] == 100);
}

BOOST_AUTO_TEST_SUITE_END()
