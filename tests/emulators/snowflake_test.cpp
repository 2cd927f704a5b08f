// The Snowflake emulator over HTTP: JWTs signed by the openssl command, tokens, rendering,
// partitions, gzip, 202 and polling, cancel, requestId retries and Snowflake's error bodies.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <zlib.h>

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

void run(const std::string& command) {
  BOOST_REQUIRE_MESSAGE(std::system((command + " 2>/dev/null").c_str()) == 0, command);
}

std::string base64url(const std::string& bytes) {
  std::string out = backflow::base64_encode(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out(data.size() * 20 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

/// A SQLite file, a key pair made by openssl, and JWTs signed by `openssl dgst` (not our code).
struct key_pair {
  temp_dir dir;
  std::string key = dir.file("key.pem");
  std::string pub = dir.file("pub.pem");
  std::string other = dir.file("other.pem");  ///< a key the emulator does not know
  std::string fingerprint;

  key_pair() {
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key);
    run("openssl pkey -in " + key + " -pubout -out " + pub);
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + other);
    run("openssl pkey -pubin -in " + pub + " -outform DER | openssl dgst -sha256 -binary | "
        "openssl base64 -A > " + dir.file("fp"));
    fingerprint = "SHA256:" + read_file(dir.file("fp"));
  }
};

/// Made once for the module: RSA key generation takes a while.
const key_pair& keys() {
  static const key_pair made;
  return made;
}

struct snowflake_env {
  temp_dir dir;
  std::string db = dir.file("w.db");
  std::string key = keys().key;
  std::string pub = keys().pub;
  std::string fingerprint = keys().fingerprint;

  snowflake_env() {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_exec(h,
                 "CREATE TABLE t(id INTEGER, name TEXT, at TIMESTAMP_TZ, d DATE, b BLOB);"
                 "INSERT INTO t VALUES (1, 'a', '2024-03-10 01:59:59-05:00', '1969-07-20', x'00ff'),"
                 "(2, 'b', NULL, '1970-01-01', NULL), (3, 'c', NULL, NULL, NULL),"
                 "(4, 'd', NULL, NULL, NULL), (5, 'e', NULL, NULL, NULL);",
                 nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }

  /// A JWT with these claims, signed with `signer` (the key by default) by openssl.
  std::string jwt(const json& claims, const std::string& signer = "") {
    std::string input =
        base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(claims.dump());
    write_file(dir.file("input"), input);
    run("openssl dgst -sha256 -sign " + (signer.empty() ? key : signer) + " -out " +
        dir.file("sig") + " " + dir.file("input"));
    return input + "." + base64url(read_file(dir.file("sig")));
  }

  json claims(long iat_offset = 0, long lifetime = 3540, const std::string& fp = "") {
    long now = static_cast<long>(std::time(nullptr)) + iat_offset;
    return {{"iss", "EMU.READER." + (fp.empty() ? fingerprint : fp)},
            {"sub", "EMU.READER"},
            {"iat", now},
            {"exp", now + lifetime}};
  }

  emulator_process start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--database", db, "--public-key", pub, "--account", "emu",
                                     "--user", "reader", "--token", "tok-1", "--partition-rows", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return emulator_process("snowflake", args);
  }
};

backflow::testing::test_response submit(emulator_process& emu, const std::string& token,
                                        const std::string& type, const std::string& sql,
                                        const std::string& request_id = "r-1") {
  std::vector<std::string> headers = {"Authorization: Bearer " + token,
                                      "Content-Type: application/json"};
  if (!type.empty())
    headers.push_back("X-Snowflake-Authorization-Token-Type: " + type);
  return http_call("POST", emu.url("/api/v2/statements?requestId=" + request_id),
                   json{{"statement", sql}}.dump(), headers);
}

backflow::testing::test_response get(emulator_process& emu, const std::string& path,
                                     std::vector<std::string> headers = {}) {
  headers.push_back("Authorization: Bearer tok-1");
  headers.push_back("X-Snowflake-Authorization-Token-Type: OAUTH");
  return http_call("GET", emu.url(path), {}, headers);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snowflake_api)

BOOST_AUTO_TEST_CASE(key_pair_jwts_are_verified_for_real) {
  snowflake_env env;
  auto emu = env.start();
  const std::string sql = "SELECT id FROM t";
  BOOST_TEST(submit(emu, env.jwt(env.claims()), "KEYPAIR_JWT", sql, "a").status == 200);
  auto expired = submit(emu, env.jwt(env.claims(-7200)), "KEYPAIR_JWT", sql, "b");
  BOOST_TEST(expired.status == 401);
  BOOST_TEST(expired.json()["code"] == "390198");
  auto other_fp = submit(emu, env.jwt(env.claims(0, 3540, "SHA256:AAAA")), "KEYPAIR_JWT", sql, "c");
  BOOST_TEST(other_fp.status == 401);
  BOOST_TEST(other_fp.json()["code"] == "390144");
  BOOST_TEST(submit(emu, env.jwt(env.claims(0, 7200)), "KEYPAIR_JWT", sql, "d").status == 401);
  BOOST_TEST(submit(emu, env.jwt(env.claims(), keys().other), "KEYPAIR_JWT", sql, "e").status == 401);
  auto tampered = env.jwt(env.claims());
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  BOOST_TEST(submit(emu, tampered, "KEYPAIR_JWT", sql, "f").status == 401);
  // Tokens: the configured one under OAUTH or PAT; any other is refused.
  BOOST_TEST(submit(emu, "tok-1", "OAUTH", sql, "g").status == 200);
  BOOST_TEST(submit(emu, "tok-1", "PROGRAMMATIC_ACCESS_TOKEN", sql, "h").status == 200);
  auto bad = submit(emu, "tok-2", "OAUTH", sql, "i");
  BOOST_TEST(bad.status == 401);
  BOOST_TEST(bad.json()["code"] == "390303");
  BOOST_TEST(emu.records().size() == 3u);  // refused calls ran nothing
}

BOOST_AUTO_TEST_CASE(results_are_rendered_the_snowflake_way_in_partitions) {
  snowflake_env env;
  auto emu = env.start();
  auto r = submit(emu, "tok-1", "OAUTH", "SELECT id, name, at, d, b FROM t ORDER BY id");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto body = r.json();
  BOOST_TEST(body["code"] == "090001");
  const auto& meta = body["resultSetMetaData"];
  BOOST_TEST(meta["numRows"] == 5);
  BOOST_TEST(meta["rowType"][0]["type"] == "fixed");
  BOOST_TEST(meta["rowType"][0]["scale"] == 0);
  BOOST_TEST(meta["rowType"][2]["type"] == "timestamp_tz");
  BOOST_TEST(meta["rowType"][3]["type"] == "date");
  BOOST_TEST(meta["rowType"][4]["type"] == "binary");
  BOOST_TEST(meta["partitionInfo"].size() == 3u);
  BOOST_TEST(meta["partitionInfo"][2]["rowCount"] == 1);
  // 2024-03-10 06:59:59 UTC; -05:00 is -300 minutes, sent as 1140 (offset + 1440).
  BOOST_TEST(body["data"] == json::parse(
                                 R"([["1","a","1710053999.000000000 1140","-165","00FF"],["2","b",null,"0",null]])"));
  const std::string handle = body["statementHandle"];
  auto last = get(emu, "/api/v2/statements/" + handle + "?partition=2");
  BOOST_REQUIRE_EQUAL(last.status, 200);
  BOOST_TEST(last.json()["data"] == json::parse(R"([["5","e",null,null,null]])"));
  // Larger answers are gzip-encoded for a client that accepts it.
  auto wide = submit(emu, "tok-1", "OAUTH", "SELECT id, hex(zeroblob(600)) AS pad FROM t", "wide");
  const std::string wide_handle = wide.json()["statementHandle"];
  auto plain = get(emu, "/api/v2/statements/" + wide_handle + "?partition=1");
  auto zipped = get(emu, "/api/v2/statements/" + wide_handle + "?partition=1",
                    {"Accept-Encoding: gzip"});
  BOOST_TEST(plain.header("Content-Encoding").empty());
  BOOST_TEST(zipped.header("Content-Encoding") == "gzip");
  BOOST_TEST(zipped.body.size() < plain.body.size() / 4);
  BOOST_TEST(gunzip(zipped.body) == plain.body);
  BOOST_TEST(get(emu, "/api/v2/statements/" + handle + "?partition=3").status == 422);
  BOOST_TEST(emu.records()[0]["served"] == json::parse("[1,0,1]"));
}

BOOST_AUTO_TEST_CASE(slow_statements_answer_202_and_can_be_cancelled) {
  snowflake_env env;
  auto emu = env.start({"--async-after", "0"});
  auto r = submit(emu, "tok-1", "OAUTH", "SELECT id FROM t");
  BOOST_REQUIRE_EQUAL(r.status, 202);
  BOOST_TEST(r.json()["code"] == "333334");
  const std::string status_url = r.json()["statementStatusUrl"];
  backflow::testing::test_response polled;
  for (int i = 0; i < 100; ++i) {
    polled = get(emu, status_url);
    if (polled.status != 202)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_TEST(polled.status == 200);
  // A retried submit with the same requestId is the same statement, not a second run.
  auto again = submit(emu, "tok-1", "OAUTH", "SELECT id FROM t");
  BOOST_TEST(again.json()["statementHandle"] == r.json()["statementHandle"]);
  BOOST_TEST(emu.records().size() == 1u);
  auto cancelled = http_call("POST", emu.url(status_url + "/cancel"), {},
                             {"Authorization: Bearer tok-1"});
  BOOST_TEST(cancelled.status == 200);
  auto after = get(emu, status_url);
  BOOST_TEST(after.status == 422);
  BOOST_TEST(after.json()["code"] == "000604");
  BOOST_TEST(emu.records()[0]["state"] == "cancelled");
}

BOOST_AUTO_TEST_CASE(refused_statements_get_snowflakes_error_bodies) {
  snowflake_env env;
  auto emu = env.start();
  auto missing = submit(emu, "tok-1", "OAUTH", "SELECT * FROM nowhere", "x");
  BOOST_TEST(missing.status == 422);
  BOOST_TEST(missing.json()["code"] == "002003");
  BOOST_TEST(missing.json()["sqlState"] == "02000");
  auto syntax = submit(emu, "tok-1", "OAUTH", "SELEC 1", "y");
  BOOST_TEST(syntax.json()["code"] == "001003");
  auto two = submit(emu, "tok-1", "OAUTH", "SELECT 1; SELECT 2", "z");
  BOOST_TEST(two.status == 422);
  BOOST_TEST(two.json()["code"] == "000008");
  BOOST_TEST(get(emu, "/api/v2/statements/no-such-handle").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
