// The BigQuery emulator over HTTP: service-account JWTs signed by the openssl command exchanged
// at /token, bearer checks, rendering of every type, pageToken paging, pending jobs, cancel and
// Google's error bodies.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <thread>

#include "pipelines/core/crypto.hpp"
#include "tests/emulators/emulator_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow::emulators::testing;
using backflow::testing::http_call;
using backflow::testing::read_file;
using backflow::testing::temp_dir;
using backflow::testing::write_file;
using nlohmann::json;

namespace {

void bq_run(const std::string& command) {
  BOOST_REQUIRE_MESSAGE(std::system((command + " 2>/dev/null").c_str()) == 0, command);
}

std::string bq_base64url(const std::string& bytes) {
  std::string out = backflow::base64_encode(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

/// A key pair made by openssl once for the module, and one the emulator does not know.
struct bq_keys {
  temp_dir dir;
  std::string key = dir.file("key.pem");
  std::string pub = dir.file("pub.pem");
  std::string other = dir.file("other.pem");
  bq_keys() {
    bq_run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key);
    bq_run("openssl pkey -in " + key + " -pubout -out " + pub);
    bq_run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + other);
  }
};

const bq_keys& bq_shared_keys() {
  static const bq_keys made;
  return made;
}

struct bigquery_env {
  temp_dir dir;
  std::string db = dir.file("w.db");

  bigquery_env() {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_exec(h,
                 "CREATE TABLE t(id INTEGER, name TEXT, at TIMESTAMP, d DATE, b BLOB);"
                 "INSERT INTO t VALUES (1, 'a', '2024-03-10 01:59:59.250001-05:00', '1969-07-20',"
                 " x'00ff'), (2, 'b', NULL, '1970-01-01', NULL), (3, 'c', NULL, NULL, NULL),"
                 "(4, 'd', NULL, NULL, NULL), (5, 'e', NULL, NULL, NULL);"
                 // The declared type's first word is the BigQuery type; TEXT keeps it exact.
                 "CREATE TABLE exact(n NUMERIC TEXT, b BIGNUMERIC TEXT);"
                 "INSERT INTO exact VALUES ('12345678901234567890123456789.123456789',"
                 " '-578960446186580977117854925043439539266.34992332820282019728792003956564819968');"
                 // Stored text past each type's scale (9, 38) and with trailing zeros.
                 "CREATE TABLE scales(k INTEGER, n NUMERIC TEXT, b BIGNUMERIC TEXT);"
                 "INSERT INTO scales VALUES (1, '1.50', '1.50'), (2, '2.000', '-0.000'),"
                 " (3, '-0.0', '1e3'),"
                 " (4, '0.1234567885', '0.123456789012345678901234567890123456785'),"
                 " (5, '-99999999999999999999999999999.9999999991',"
                 "  '0.00000000000000000000000000000000000001'),"
                 " (6, '0.9999999999', '12345678901234567890123456789012345678.5');",
                 nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }

  emulator_process start(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"--database", db, "--public-key", bq_shared_keys().pub,
                                     "--token", "tok-1", "--page-rows", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("bigquery", args);
  }

  /// A JWT assertion with these claims signed by `openssl dgst` (the key by default).
  std::string assertion(const json& claims, const std::string& signer = "") const {
    std::string input =
        bq_base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + bq_base64url(claims.dump());
    write_file(dir.file("input"), input);
    bq_run("openssl dgst -sha256 -sign " + (signer.empty() ? bq_shared_keys().key : signer) +
           " -out " + dir.file("sig") + " " + dir.file("input"));
    return input + "." + bq_base64url(read_file(dir.file("sig")));
  }

  static json claims(const emulator_process& emu, long iat_offset = 0, long lifetime = 3600,
                     const std::string& scope = "https://www.googleapis.com/auth/bigquery.readonly") {
    long now = static_cast<long>(std::time(nullptr)) + iat_offset;
    return {{"iss", "reader@p.iam.gserviceaccount.com"}, {"scope", scope},
            {"aud", emu.url("/token")}, {"iat", now}, {"exp", now + lifetime}};
  }
};

backflow::testing::test_response bq_exchange(emulator_process& emu, const std::string& assertion) {
  return http_call("POST", emu.url("/token"),
                   "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" +
                       assertion,
                   {"Content-Type: application/x-www-form-urlencoded"});
}

backflow::testing::test_response bq_query(emulator_process& emu, const std::string& token,
                                          json body) {
  body["useLegacySql"] = false;
  return http_call("POST", emu.url("/bigquery/v2/projects/proj/queries"), body.dump(),
                   {"Authorization: Bearer " + token, "Content-Type: application/json"});
}

backflow::testing::test_response bq_get(emulator_process& emu, const std::string& path) {
  return http_call("GET", emu.url(path), {}, {"Authorization: Bearer tok-1"});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bigquery_api)

BOOST_AUTO_TEST_CASE(service_account_assertions_are_verified_for_real) {
  bigquery_env env;
  auto emu = env.start({"--token-lifetime", "1"});
  auto ok = bq_exchange(emu, env.assertion(env.claims(emu)));
  BOOST_REQUIRE_EQUAL(ok.status, 200);
  BOOST_TEST(ok.json()["expires_in"] == 1);
  BOOST_TEST(ok.json()["token_type"] == "Bearer");
  const std::string access = ok.json()["access_token"];
  BOOST_TEST(bq_query(emu, access, {{"query", "SELECT 1"}}).status == 200);
  // Refused assertions: expired, over an hour, another key, another audience, no scope, tampered.
  auto expired = bq_exchange(emu, env.assertion(env.claims(emu, -7200)));
  BOOST_TEST(expired.status == 400);
  BOOST_TEST(expired.json()["error"] == "invalid_grant");
  BOOST_TEST(bq_exchange(emu, env.assertion(env.claims(emu, 0, 7200))).status == 400);
  BOOST_TEST(bq_exchange(emu, env.assertion(env.claims(emu), bq_shared_keys().other)).status == 400);
  auto aud = env.claims(emu);
  aud["aud"] = "https://oauth2.googleapis.com/token";
  BOOST_TEST(bq_exchange(emu, env.assertion(aud)).status == 400);
  auto scope = bq_exchange(emu, env.assertion(env.claims(emu, 0, 3600, "https://example.com/x")));
  BOOST_TEST(scope.json()["error"] == "invalid_scope");
  auto tampered = env.assertion(env.claims(emu));
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  BOOST_TEST(bq_exchange(emu, tampered).status == 400);
  // Bearer checks: a wrong token, and the issued one once it has expired.
  auto wrong = bq_query(emu, "tok-2", {{"query", "SELECT 1"}});
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(wrong.json()["error"]["errors"][0]["reason"] == "authError");
  BOOST_TEST(wrong.json()["error"]["status"] == "UNAUTHENTICATED");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  BOOST_TEST(bq_query(emu, access, {{"query", "SELECT 1"}}).status == 401);
  BOOST_TEST(emu.records().size() == 1u);  // refused calls ran nothing
}

BOOST_AUTO_TEST_CASE(results_are_rendered_the_bigquery_way_in_pages) {
  bigquery_env env;
  auto emu = env.start();
  auto r = bq_query(emu, "tok-1", {{"query", "SELECT id, name, at, d, b FROM t ORDER BY id"},
                                   {"formatOptions", {{"useInt64Timestamp", true}}}});
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto body = r.json();
  BOOST_TEST(body["kind"] == "bigquery#queryResponse");
  BOOST_TEST(body["jobComplete"] == true);
  BOOST_TEST(body["totalRows"] == "5");
  BOOST_TEST(body["schema"]["fields"][0] == json::parse(R"({"name":"id","type":"INT64","mode":"NULLABLE"})"));
  BOOST_TEST(body["schema"]["fields"][2]["type"] == "TIMESTAMP");
  BOOST_TEST(body["schema"]["fields"][4]["type"] == "BYTES");
  // 2024-03-10 06:59:59.250001 UTC = 1710053999.250001 s; bytes 00 ff in base64.
  BOOST_TEST(body["rows"] == json::parse(R"([{"f":[{"v":"1"},{"v":"a"},{"v":"1710053999250001"},
      {"v":"1969-07-20"},{"v":"AP8="}]},{"f":[{"v":"2"},{"v":"b"},{"v":null},{"v":"1970-01-01"},
      {"v":null}]}])"));
  const std::string job = body["jobReference"]["jobId"];
  std::string token = body["pageToken"];
  std::vector<std::string> ids;
  while (!token.empty()) {
    auto page = bq_get(emu, "/bigquery/v2/projects/proj/queries/" + job + "?pageToken=" + token);
    BOOST_REQUIRE_EQUAL(page.status, 200);
    const auto answer = page.json();
    BOOST_TEST(answer["kind"] == "bigquery#getQueryResultsResponse");
    for (const auto& row : answer["rows"])
      ids.push_back(row["f"][0]["v"]);
    token = answer.value("pageToken", "");
  }
  BOOST_TEST(ids == (std::vector<std::string>{"3", "4", "5"}));
  BOOST_TEST(emu.records()[0]["pages"] == json::parse("[0,2,4]"));
  // Without useInt64Timestamp: the classic float seconds.
  auto classic = bq_query(emu, "tok-1", {{"query", "SELECT at FROM t WHERE id = 1"}});
  BOOST_TEST(std::stod(classic.json()["rows"][0]["f"][0]["v"].get<std::string>()) ==
             1710053999.250001);
  auto exact = bq_query(emu, "tok-1", {{"query", "SELECT n, b FROM exact"}});
  BOOST_TEST(exact.json()["schema"]["fields"][1]["type"] == "BIGNUMERIC");
  BOOST_TEST(exact.json()["rows"][0] == json::parse(R"({"f":[
      {"v":"12345678901234567890123456789.123456789"},
      {"v":"-578960446186580977117854925043439539266.34992332820282019728792003956564819968"}]})"));
  // Nested types: a STRUCT with an ARRAY inside, from JSON text.
  auto nested = bq_query(emu, "tok-1", {{"query",
      R"(SELECT '{"a":"9007199254740993","b":["x","y"]}' AS "r::STRUCT<a INT64, b ARRAY<STRING>>")"}});
  BOOST_TEST(nested.json()["schema"]["fields"][0]["fields"][1]["mode"] == "REPEATED");
  BOOST_TEST(nested.json()["rows"][0]["f"][0]["v"] ==
             json::parse(R"({"f":[{"v":"9007199254740993"},{"v":[{"v":"x"},{"v":"y"}]}]})"));
}

// NUMERIC has a fixed scale of 9 and BIGNUMERIC of 38; a value written with more digits is
// rounded half away from zero, and BigQuery's text of a value is its shortest exact form:
// no trailing fraction zeros, no bare point, zero unsigned (ZetaSQL's NumericValue::ToString:
// "-0.123", "1", "0"). Expected texts written by hand from those rules.
BOOST_AUTO_TEST_CASE(numeric_values_have_bigquerys_scale_and_text) {
  bigquery_env env;
  auto emu = env.start();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"1.5", "1.5"},
      {"2", "0"},
      {"0", "1000"},
      {"0.123456789", "0.12345678901234567890123456789012345679"},
      {"-99999999999999999999999999999.999999999", "0.00000000000000000000000000000000000001"},
      {"1", "12345678901234567890123456789012345678.5"},
  };
  for (size_t k = 1; k <= expected.size(); ++k) {
    auto r = bq_query(emu, "tok-1",
                      {{"query", "SELECT n, b FROM scales WHERE k = " + std::to_string(k)}});
    BOOST_REQUIRE_EQUAL(r.status, 200);
    auto body = r.json();
    BOOST_TEST(body["schema"]["fields"][0]["type"] == "NUMERIC");
    BOOST_TEST(body["schema"]["fields"][1]["type"] == "BIGNUMERIC");
    BOOST_TEST(body["rows"][0]["f"][0]["v"] == expected[k - 1].first, "row " << k);
    BOOST_TEST(body["rows"][0]["f"][1]["v"] == expected[k - 1].second, "row " << k);
  }
}

BOOST_AUTO_TEST_CASE(pending_jobs_are_polled_and_can_be_cancelled) {
  bigquery_env env;
  auto emu = env.start({"--pending-polls", "2"});
  auto r = bq_query(emu, "tok-1", {{"query", "SELECT id FROM t"}, {"location", "EU"}});
  BOOST_TEST(r.json()["jobComplete"] == false);
  BOOST_TEST(!r.json().contains("rows"));
  const std::string job = r.json()["jobReference"]["jobId"];
  BOOST_TEST(r.json()["jobReference"]["location"] == "EU");
  const std::string path = "/bigquery/v2/projects/proj/queries/" + job + "?location=EU";
  BOOST_TEST(bq_get(emu, path).json()["jobComplete"] == false);
  auto done = bq_get(emu, path);
  BOOST_TEST(done.json()["jobComplete"] == true);
  BOOST_TEST(done.json()["rows"].size() == 2u);
  auto cancelled = http_call("POST", emu.url("/bigquery/v2/projects/proj/jobs/" + job + "/cancel"),
                             {}, {"Authorization: Bearer tok-1"});
  BOOST_TEST(cancelled.json()["kind"] == "bigquery#jobCancelResponse");
  BOOST_TEST(emu.records()[0]["state"] == "cancelled");
  BOOST_TEST(bq_get(emu, path).status == 400);
}

BOOST_AUTO_TEST_CASE(refused_queries_get_googles_error_bodies) {
  bigquery_env env;
  auto emu = env.start();
  auto missing = bq_query(emu, "tok-1", {{"query", "SELECT * FROM nowhere"}});
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.json()["error"]["errors"][0]["reason"] == "notFound");
  auto syntax = bq_query(emu, "tok-1", {{"query", "SELEC 1"}});
  BOOST_TEST(syntax.status == 400);
  BOOST_TEST(syntax.json()["error"]["errors"][0]["reason"] == "invalidQuery");
  auto unbound = bq_query(emu, "tok-1", {{"query", "SELECT id FROM t WHERE id > @since"}});
  BOOST_TEST(unbound.json()["error"]["errors"][0]["reason"] == "invalidQuery");
  auto bound = bq_query(emu, "tok-1", {{"query", "SELECT id FROM t WHERE id > @since"},
      {"parameterMode", "NAMED"},
      {"queryParameters", {{{"name", "since"}, {"parameterType", {{"type", "INT64"}}},
                            {"parameterValue", {{"value", "3"}}}}}}});
  BOOST_TEST(bound.json()["totalRows"] == "2");
  BOOST_TEST(bq_get(emu, "/bigquery/v2/projects/proj/queries/job_nope").status == 404);
}

BOOST_AUTO_TEST_CASE(writes_need_the_bigquery_scope_and_merge_as_bigquery_does) {
  bigquery_env env;
  auto emu = env.start();
  auto token_for = [&](const std::string& scope) {
    return bq_exchange(emu, env.assertion(env.claims(emu, 0, 3600, scope))).json()["access_token"]
        .get<std::string>();
  };
  const std::string reader = token_for("https://www.googleapis.com/auth/bigquery.readonly");
  const std::string writer = token_for("https://www.googleapis.com/auth/bigquery");
  auto refused = bq_query(emu, reader, {{"query", "CREATE SCHEMA IF NOT EXISTS `wb`"}});
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(refused.json()["error"]["errors"][0]["reason"] == "insufficientPermissions");
  BOOST_TEST(bq_query(emu, reader, {{"query", "SELECT 1"}}).status == 200);
  BOOST_REQUIRE_EQUAL(bq_query(emu, writer, {{"query", "CREATE SCHEMA IF NOT EXISTS `wb`"}}).status, 200);
  BOOST_TEST(bq_query(emu, writer, {{"query", "CREATE SCHEMA `wb`"}}).status == 409);
  BOOST_REQUIRE_EQUAL(bq_query(emu, writer, {{"query", "CREATE TABLE IF NOT EXISTS `wb`.`ids` "
                                                       "(`k` STRING NOT NULL, `n` INT64)"}}).status,
                      200);
  // A STRING column keeps "007" as written (SQLite alone would make it the number 7).
  auto param = [](const std::string& name, const char* type, const json& value) {
    return json{{"name", name}, {"parameterType", {{"type", type}}},
                {"parameterValue", {{"value", value}}}};
  };
  const std::string merge =
      "MERGE INTO `wb`.`ids` AS t USING (SELECT @a AS `k`, @b AS `n` UNION ALL SELECT @c, @d) AS s "
      "ON t.`k` = s.`k` WHEN MATCHED THEN UPDATE SET `n` = s.`n` "
      "WHEN NOT MATCHED THEN INSERT (`k`, `n`) VALUES (s.`k`, s.`n`)";
  json params = {param("a", "STRING", "007"), param("b", "INT64", "9007199254740993"),
                 param("c", "STRING", "x"), param("d", "INT64", nullptr)};
  auto first = bq_query(emu, writer, {{"query", merge}, {"queryParameters", params}});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  BOOST_TEST(first.json()["numDmlAffectedRows"] == "2");
  BOOST_TEST(first.json()["dmlStats"]["insertedRowCount"] == "2");
  params[3] = param("d", "INT64", "-1");
  auto again = bq_query(emu, writer, {{"query", merge}, {"queryParameters", params}});
  BOOST_TEST(again.json()["dmlStats"]["updatedRowCount"] == "2");
  BOOST_TEST(again.json()["dmlStats"]["insertedRowCount"] == "0");
  auto rows = bq_query(emu, writer, {{"query", "SELECT k, n FROM `wb`.`ids` ORDER BY k"}});
  BOOST_TEST(rows.json()["rows"] == json::parse(R"([{"f":[{"v":"007"},{"v":"9007199254740993"}]},)"
                                                R"({"f":[{"v":"x"},{"v":"-1"}]}])"));
  // Two source rows for one target row: refused, nothing changed.
  params[2] = param("c", "STRING", "007");
  auto twice = bq_query(emu, writer, {{"query", merge}, {"queryParameters", params}});
  BOOST_TEST(twice.status == 400);
  BOOST_TEST(twice.json()["error"]["message"] ==
             "UPDATE/MERGE must match at most one source row for each target row");
  BOOST_TEST(bq_query(emu, writer, {{"query", "SELECT n FROM `wb`.`ids` WHERE k = '007'"}})
                 .json()["rows"][0]["f"][0]["v"] == "9007199254740993");
}

BOOST_AUTO_TEST_SUITE_END()
