// The Databricks emulator over HTTP: PAT and OAuth M2M auth, the JSON_ARRAY rendering, chunks by
// next_chunk_internal_link, presigned links (no Authorization, signature, expiry), PENDING
// polls, cancel, failed statements, parameters and the shared fault queue.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "pipelines/core/crypto.hpp"
#include "tests/emulators/emulator_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow::emulators::testing;
using backflow::testing::http_call;
using backflow::testing::temp_dir;
using nlohmann::json;

namespace {

const std::string pat = "dapi-T0k";

struct databricks_env {
  temp_dir dir;
  std::string db = dir.file("w.db");

  databricks_env() {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_exec(h,
                 "CREATE TABLE t(id BIGINT, amount DECIMAL(12,2), at TIMESTAMP, d DATE, b BLOB,"
                 " x DOUBLE, ok BOOLEAN, tags STRING);"
                 "INSERT INTO t VALUES (9007199254740993, '2.5', '2024-03-10 01:59:59-05:00',"
                 " '1969-07-20', x'00ff', '-0', 1, NULL),"
                 "(2, '-0.01', '1969-12-31 23:59:59.25', '1970-01-01', NULL, 0.1, 0, ''),"
                 "(3, NULL, NULL, NULL, NULL, NULL, NULL, 'c'), (4, NULL, NULL, NULL, NULL, NULL,"
                 " NULL, 'd'), (5, NULL, NULL, NULL, NULL, NULL, NULL, 'e');",
                 nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }

  emulator_process start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--database", db, "--token", pat, "--chunk-rows", "2",
                                     "--client-id", "cid", "--client-secret", "csecret"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("databricks", args);
  }
};

backflow::testing::test_response call(emulator_process& emu, const std::string& method,
                                      const std::string& path, const json& body = nullptr,
                                      const std::string& token = pat) {
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!token.empty())
    headers.push_back("Authorization: Bearer " + token);
  return http_call(method, emu.url(path), body.is_null() ? "" : body.dump(), headers);
}

json statement(const std::string& sql, json extra = json::object()) {
  json body = {{"statement", sql}, {"warehouse_id", "wh"}, {"format", "JSON_ARRAY"},
               {"disposition", "INLINE"}, {"wait_timeout", "10s"}};
  body.merge_patch(extra);
  return body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(databricks_api)

BOOST_AUTO_TEST_CASE(personal_access_tokens_are_checked) {
  databricks_env env;
  auto emu = env.start();
  BOOST_TEST(call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT 1"), "").status == 401);
  auto wrong = call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT 1"), "dapi-other");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(wrong.json()["error_code"] == "401");
  BOOST_TEST(call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT 1")).status == 200);
}

BOOST_AUTO_TEST_CASE(results_render_as_json_array_strings_in_chained_chunks) {
  databricks_env env;
  auto emu = env.start();
  auto answer = call(emu, "POST", "/api/2.0/sql/statements",
                     statement("SELECT id, amount, at, d, b, x, ok, tags FROM t ORDER BY rowid"));
  BOOST_REQUIRE_EQUAL(answer.status, 200);
  auto body = answer.json();
  BOOST_TEST(body["status"]["state"] == "SUCCEEDED");
  auto manifest = body["manifest"];
  BOOST_TEST(manifest["format"] == "JSON_ARRAY");
  BOOST_TEST(manifest["total_chunk_count"] == 3);
  BOOST_TEST(manifest["total_row_count"] == 5);
  auto cols = manifest["schema"]["columns"];
  BOOST_TEST(cols[0] == json({{"name", "id"}, {"position", 0}, {"type_name", "LONG"},
                              {"type_text", "BIGINT"}}));
  BOOST_TEST(cols[1]["type_text"] == "DECIMAL(12,2)");
  BOOST_TEST(cols[1]["type_precision"] == 12);
  BOOST_TEST(cols[1]["type_scale"] == 2);
  BOOST_TEST(cols[2]["type_name"] == "TIMESTAMP");
  BOOST_TEST(cols[4]["type_name"] == "BINARY");
  // Every value a string (or null), as JSON_ARRAY sends them; timestamps in UTC.
  json rows = body["result"]["data_array"];
  // (SQLite keeps no -0 in a REAL column: the file holds 0.)
  BOOST_TEST(rows[0] == json({"9007199254740993", "2.50", "2024-03-10T06:59:59Z", "1969-07-20",
                              "AP8=", "0.0", "true", nullptr}));
  BOOST_TEST(rows[1] == json({"2", "-0.01", "1969-12-31T23:59:59.25Z", "1970-01-01", nullptr,
                              "0.1", "false", ""}));
  // The rest by next_chunk_internal_link until there is none.
  json result = body["result"];
  while (result.contains("next_chunk_internal_link")) {
    auto next = call(emu, "GET", result["next_chunk_internal_link"].get<std::string>());
    BOOST_REQUIRE_EQUAL(next.status, 200);
    result = next.json();
    for (const auto& row : result["data_array"])
      rows.push_back(row);
  }
  BOOST_REQUIRE_EQUAL(rows.size(), 5u);
  BOOST_TEST(rows[4][0] == "5");
  BOOST_TEST(result["chunk_index"] == 2);
  BOOST_TEST(result["row_offset"] == 4);
  // Doubles as Java prints them; a `::TYPE` alias suffix types an expression.
  auto edges = call(emu, "POST", "/api/2.0/sql/statements",
                    statement(R"(SELECT '-0' AS "z::DOUBLE", 1e300 * 1e300 AS "inf::DOUBLE",)"
                              R"x( '[1, 2]' AS "a::ARRAY<INT>", 7 AS "n::DECIMAL(38,3)")x")).json();
  BOOST_TEST(edges["result"]["data_array"] == json({{"-0.0", "Infinity", "[1, 2]", "7.000"}}));
  BOOST_TEST(edges["manifest"]["schema"]["columns"][2]["type_text"] == "ARRAY<INT>");
}

BOOST_AUTO_TEST_CASE(external_links_are_presigned_refuse_authorization_and_expire) {
  databricks_env env;
  auto emu = env.start();
  auto body = call(emu, "POST", "/api/2.0/sql/statements",
                   statement("SELECT id FROM t ORDER BY rowid", {{"disposition", "EXTERNAL_LINKS"}}))
                  .json();
  auto link = body["result"]["external_links"][0];
  BOOST_TEST(link["chunk_index"] == 0);
  BOOST_TEST(link["expiration"].get<std::string>().back() == 'Z');
  const std::string url = link["external_link"];
  auto plain = http_call("GET", url);
  BOOST_TEST(plain.status == 200);
  BOOST_TEST(plain.json() == json({{"9007199254740993"}, {"2"}}));
  auto with_auth = http_call("GET", url, {}, {"Authorization: Bearer " + pat});
  BOOST_TEST(with_auth.status == 400);
  BOOST_TEST(with_auth.body.find("InvalidArgument") != std::string::npos);
  std::string tampered = url;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  BOOST_TEST(http_call("GET", tampered).status == 403);
  // The next chunk's link, from its internal link.
  auto next = call(emu, "GET", link["next_chunk_internal_link"].get<std::string>()).json();
  BOOST_TEST(http_call("GET", next["external_links"][0]["external_link"].get<std::string>()).json() ==
             json({{"3"}, {"4"}}));
  // --link-ttl 0: a link has expired by the time it is used.
  auto stale = env.start({"--link-ttl", "0"});
  auto old = call(stale, "POST", "/api/2.0/sql/statements",
                  statement("SELECT id FROM t", {{"disposition", "EXTERNAL_LINKS"}})).json();
  auto expired = http_call("GET", old["result"]["external_links"][0]["external_link"].get<std::string>());
  BOOST_TEST(expired.status == 403);
  BOOST_TEST(expired.body.find("Request has expired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_slow_statement_is_pending_then_running_then_done) {
  databricks_env env;
  auto emu = env.start({"--pending-polls", "2"});
  auto first = call(emu, "POST", "/api/2.0/sql/statements",
                    statement("SELECT id FROM t", {{"wait_timeout", "0s"}})).json();
  BOOST_TEST(first["status"]["state"] == "PENDING");
  BOOST_TEST(!first.contains("manifest"));
  const std::string path = "/api/2.0/sql/statements/" + first["statement_id"].get<std::string>();
  BOOST_TEST(call(emu, "GET", path).json()["status"]["state"] == "RUNNING");
  BOOST_TEST(call(emu, "GET", path).json()["status"]["state"] == "RUNNING");
  auto done = call(emu, "GET", path).json();
  BOOST_TEST(done["status"]["state"] == "SUCCEEDED");
  BOOST_TEST(done["manifest"]["total_row_count"] == 5);
  // on_wait_timeout CANCEL gives up on a statement still running when wait_timeout passed.
  auto cancelled = call(emu, "POST", "/api/2.0/sql/statements",
                        statement("SELECT id FROM t", {{"on_wait_timeout", "CANCEL"}})).json();
  BOOST_TEST(cancelled["status"]["state"] == "CANCELED");
  // wait_timeout is 0s or 5s to 50s.
  auto bad = call(emu, "POST", "/api/2.0/sql/statements",
                  statement("SELECT 1", {{"wait_timeout", "3s"}}));
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.json()["error_code"] == "INVALID_PARAMETER_VALUE");
}

BOOST_AUTO_TEST_CASE(oauth_client_credentials_issue_tokens_that_expire) {
  databricks_env env;
  auto emu = env.start();
  const std::string form = "grant_type=client_credentials&scope=all-apis";
  const std::vector<std::string> form_type = {"Content-Type: application/x-www-form-urlencoded"};
  auto basic = [&](const std::string& pair) {
    auto headers = form_type;
    headers.push_back("Authorization: Basic " + backflow::base64_encode(pair));
    return http_call("POST", emu.url("/oidc/v1/token"), form, headers);
  };
  auto refused = basic("cid:wrong");
  BOOST_TEST(refused.status == 401);
  BOOST_TEST(refused.json()["error"] == "invalid_client");
  auto issued = basic("cid:csecret");
  BOOST_REQUIRE_EQUAL(issued.status, 200);
  BOOST_TEST(issued.json()["token_type"] == "Bearer");
  BOOST_TEST(issued.json()["expires_in"] == 3600);
  const std::string token = issued.json()["access_token"];
  BOOST_TEST(call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT 1"), token).status == 200);
  BOOST_TEST(emu.records()[0]["auth"] == "OAUTH");
  // --token-ttl 0: issued tokens are expired at once.
  auto short_lived = env.start({"--token-ttl", "0"});
  auto headers = form_type;
  headers.push_back("Authorization: Basic " + backflow::base64_encode("cid:csecret"));
  auto stale = http_call("POST", short_lived.url("/oidc/v1/token"), form, headers).json();
  auto expired = call(short_lived, "POST", "/api/2.0/sql/statements", statement("SELECT 1"),
                      stale["access_token"].get<std::string>());
  BOOST_TEST(expired.status == 401);
  BOOST_TEST(expired.json()["message"] == "Token expired.");
}

BOOST_AUTO_TEST_CASE(failures_cancel_parameters_and_faults) {
  databricks_env env;
  auto emu = env.start();
  auto failed = call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT nope FROM gone")).json();
  BOOST_TEST(failed["status"]["state"] == "FAILED");
  BOOST_TEST(failed["status"]["error"]["error_code"] == "BAD_REQUEST");
  BOOST_TEST(failed["status"]["error"]["message"].get<std::string>().rfind(
                 "[TABLE_OR_VIEW_NOT_FOUND] no such table: gone", 0) == 0u);
  // Named parameters bind :name markers.
  auto bound = call(emu, "POST", "/api/2.0/sql/statements",
                    statement("SELECT id FROM t WHERE id = :wanted",
                              {{"parameters", {{{"name", "wanted"}, {"value", "2"}, {"type", "BIGINT"}}}}}))
                   .json();
  BOOST_TEST(bound["result"]["data_array"] == json({{"2"}}));
  // Cancel: the statement is CANCELED and its chunks are gone.
  auto running = call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT id FROM t")).json();
  const std::string path = "/api/2.0/sql/statements/" + running["statement_id"].get<std::string>();
  BOOST_TEST(call(emu, "POST", path + "/cancel").status == 200);
  BOOST_TEST(call(emu, "GET", path).json()["status"]["state"] == "CANCELED");
  BOOST_TEST(call(emu, "GET", path + "/result/chunks/1").status == 400);
  // The shared fault queue: a 503 on the first chunk call, then the chunk as usual.
  auto ok = call(emu, "POST", "/api/2.0/sql/statements", statement("SELECT id FROM t")).json();
  const std::string chunk = "/api/2.0/sql/statements/" + ok["statement_id"].get<std::string>() +
                            "/result/chunks/1";
  emu.fault({{"match", {{"path_contains", "/result/chunks/"}}}, {"status", 503},
             {"body", R"({"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"})"}});
  BOOST_TEST(call(emu, "GET", chunk).status == 503);
  BOOST_TEST(call(emu, "GET", chunk).json()["data_array"] == json({{"3"}, {"4"}}));
}

BOOST_AUTO_TEST_SUITE_END()
