// End to end, the e2e_writeback suite's cloud warehouses: write-back through the Snowflake
// emulator's SQL API (MERGE with bindings on its SQLite files), repeated, retried and refused.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/writeback_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_writeback)

using namespace backflow::testing;
using namespace backflow::testing::writeback;
using nlohmann::json;

namespace {

const std::string sf_token = "sf-wb-token-71c3";
/// Hostile keys: a separator and a backslash, Cyrillic with a quote, a question mark (the
/// Snowflake placeholder) with double quotes.
const std::string s1 = "k|1\\x";
const std::string s2 = "ключ'2";
const std::string s3 = "k? \"q\"";

/// A model in the Snowflake emulator's SQLite file, synced to the webhook emulator in mirror
/// mode; write-back goes to the sync's own Snowflake source unless told otherwise.
struct snowflake_fixture {
  temp_dir dir;
  std::string warehouse = dir.file("warehouse.sqlite");
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  snowflake_fixture() {
    sqlite_exec(warehouse,
                "CREATE TABLE leads (id TEXT, name TEXT, big INTEGER, amount TEXT);"
                "INSERT INTO leads VALUES ('k|1\\x', 'Zoë 𝒜', 9007199254740993, "
                "'12345678901234567890123456789012345678'),"
                " ('ключ''2', '', -42, '-99999999999999999999999999999999999999'),"
                " ('k? \"q\"', NULL, 0, '0');");
  }
  json source(const std::string& url) const {
    return {{"type", "snowflake"}, {"url", url}, {"account", "emulator"}, {"token", sf_token},
            {"warehouse", "WH"}, {"database", "ANALYTICS"}};
  }
  std::string sync_file(const std::string& url, const json& writeback) {
    auto src = source(url);
    src["query"] = "SELECT id, name, big, amount AS \"amount::NUMBER(38,0)\" FROM leads";
    src["key"] = "id";
    return write_sync(dir, {{"name", "leads_snowflake"},
                            {"source", src},
                            {"destination", {{"type", "webhook"},
                                             {"endpoint", webhook.url("/hooks/backflow")},
                                             {"secret", secret}}},
                            {"mode", "mirror"},
                            {"writeback", writeback}});
  }
  /// The write-back schema BACKFLOW of `database`: its own SQLite file in the emulator.
  table_rows log(const std::string& database, const std::string& sql) {
    return sqlite_query(database + ".BACKFLOW", sql);
  }
};

const std::string sf_records =
    "SELECT RUN_ID, KEY_HASH, KEY, OPERATION, OUTCOME, DESTINATION_ID, FIELDS FROM SYNC_RECORDS "
    "ORDER BY RUN_ID, KEY";

}  // namespace

BOOST_FIXTURE_TEST_CASE(snowflake_tables_hold_each_runs_rows_through_merges_with_bindings,
                        snowflake_fixture) {
  emulator_process sf{"snowflake", {"--database", warehouse, "--token", sf_token}};
  auto file = sync_file(sf.url(), json::object());  // the sync's own Snowflake
  auto first = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["writeback"]["status"] == "written", first.summary.dump());
  // Written by hand from the model: exact integers past 2^53 and 38-digit decimals, NULL apart
  // from empty, in SQLite's byte order of keys ("k?" < "k|" < "к").
  const std::string f1 =
      R"({"amount":12345678901234567890123456789012345678,"big":9007199254740993,"name":"Zoë 𝒜"})";
  const std::string f2 =
      R"({"amount":-99999999999999999999999999999999999999,"big":-42,"name":""})";
  const std::string f3 = R"({"amount":0,"big":0,"name":null})";
  table_rows expected = {
      {"1", hash(s3), s3, "added", "delivered", std::nullopt, f3},
      {"1", hash(s1), s1, "added", "delivered", std::nullopt, f1},
      {"1", hash(s2), s2, "added", "delivered", std::nullopt, f2},
  };
  BOOST_TEST(log(warehouse, sf_records) == expected, show(log(warehouse, sf_records)));
  BOOST_TEST(log(warehouse, "SELECT SYNC, RUN_ID, STATUS, EXTRACTED, ADDED, DELIVERED, ERROR, "
                            "typeof(RUN_ID), STARTED_AT LIKE '____-__-__T__:__:__.___Z' FROM "
                            "SYNC_RUNS") ==
             (table_rows{{"leads_snowflake", "1", "success", "3", "3", "3", std::nullopt,
                          "integer", "1"}}));
  // Values travel as bindings: no key appears in a statement's text, every write is a MERGE
  // or a DELETE, and the tables were created with Snowflake's types.
  for (const auto& s : sf.records()) {
    const auto text = s["statement"].get<std::string>();
    BOOST_TEST(text.find("ключ") == std::string::npos, text);
    BOOST_TEST(text.find("leads_snowflake") == std::string::npos, text);
  }
  BOOST_TEST(log(warehouse, "SELECT sql LIKE '%\"RUN_ID\" NUMBER(38,0) NOT NULL%TIMESTAMP_TZ%' "
                            "FROM sqlite_master WHERE name = 'SYNC_RUNS'") == (table_rows{{"1"}}));

  // Run 2 changes one row and deletes another; its write-back is then repeated from the state
  // as it was before (a crash after Snowflake committed): the same rows, not twice.
  sqlite_exec(warehouse, "UPDATE leads SET name = 'Zoë B' WHERE id = 'k|1\\x';"
                         "DELETE FROM leads WHERE id = 'k? \"q\"';");
  std::filesystem::copy(dir.file("state"), dir.file("state-before"),
                        std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(backflow.run_sync(file).process.exit_code == 0);
  std::filesystem::remove_all(dir.file("state"));
  std::filesystem::rename(dir.file("state-before"), dir.file("state"));
  auto repeated = backflow.run_sync(file);
  BOOST_REQUIRE_MESSAGE(repeated.process.exit_code == 0, repeated.process.err);
  BOOST_TEST(repeated.summary["writeback"]["records"] == 2, repeated.summary.dump());
  expected.push_back({"2", hash(s3), s3, "deleted", "delivered", std::nullopt, std::nullopt});
  expected.push_back({"2", hash(s1), s1, "changed", "delivered", std::nullopt,
                      R"({"amount":12345678901234567890123456789012345678,"big":9007199254740993,"name":"Zoë B"})"});
  BOOST_TEST(log(warehouse, sf_records) == expected, show(log(warehouse, sf_records)));
  BOOST_TEST(log(warehouse, "SELECT RUN_ID, STATUS, CHANGED, DELETED FROM SYNC_RUNS ORDER BY "
                            "RUN_ID") ==
             (table_rows{{"1", "success", "0", "0"}, {"2", "success", "1", "1"}}));
  BOOST_TEST(log(warehouse, "SELECT KEY, RUN_ID FROM SYNC_IDS ORDER BY KEY") ==
             (table_rows{{s1, "2"}, {s2, "1"}}));
}

BOOST_FIXTURE_TEST_CASE(snowflake_refusing_the_write_back_leaves_delivery_alone_and_is_caught_up,
                        snowflake_fixture) {
  emulator_process sf{"snowflake", {"--database", warehouse, "--token", sf_token}};
  const std::string logs = dir.file("logs.sqlite");
  sqlite_exec(logs, "CREATE TABLE placeholder (x INTEGER)");
  emulator_process sf_logs{"snowflake", {"--database", logs, "--token", sf_token}};
  auto file = sync_file(sf.url(), {{"connection", source(sf_logs.url())}});
  // The role may not create the schema: Snowflake's answer to the first write statement.
  sf_logs.fault({{"match", {{"method", "POST"}, {"path_contains", "/api/v2/statements"}}},
                 {"status", 422},
                 {"body", {{"code", "003001"}, {"sqlState", "42501"},
                           {"message", "SQL access control error:\nInsufficient privileges to "
                                       "operate on database 'ANALYTICS'"}}}});
  auto refused = backflow.run_sync(file);
  BOOST_TEST(refused.process.exit_code == 0, refused.process.out << refused.process.err);
  BOOST_TEST(refused.summary["counts"]["delivered"] == 3);
  BOOST_TEST(webhook.records().size() == 3u);
  BOOST_TEST(refused.summary["writeback"]["status"] == "failed");
  BOOST_TEST(refused.summary["writeback"]["pending"] == 3);
  const auto said = refused.summary["writeback"].value("error", "");
  BOOST_TEST(said.rfind("writeback: Snowflake: Snowflake error 003001 (SQL state 42501): SQL "
                        "access control error:", 0) == 0, said);
  BOOST_TEST(said.find("Insufficient privileges") != std::string::npos, said);
  BOOST_TEST(!std::filesystem::exists(logs + ".BACKFLOW"));

  // Allowed now; one MERGE's answer is lost after Snowflake ran it (503): the retry, with the
  // same requestId, is not run twice, and the rows are there once.
  sf_logs.fault({{"match", {{"method", "POST"}, {"path_contains", "/api/v2/statements"}}},
                 {"nth", 6}, {"status", 503}, {"apply", true}});
  auto caught_up = backflow.run_sync(file);
  BOOST_TEST(caught_up.process.exit_code == 0);
  BOOST_TEST(caught_up.summary["api_calls"] == 0);  // nothing resent: the commit stood
  BOOST_TEST(caught_up.summary["writeback"]["status"] == "written", caught_up.summary.dump());
  BOOST_TEST(caught_up.summary["writeback"]["runs"] == 2);
  BOOST_TEST(caught_up.summary["writeback"]["records"] == 3);
  BOOST_TEST(log(logs, "SELECT RUN_ID, KEY, OUTCOME FROM SYNC_RECORDS ORDER BY KEY") ==
             (table_rows{{"1", s3, "delivered"}, {"1", s1, "delivered"}, {"1", s2, "delivered"}}));
  BOOST_TEST(log(logs, "SELECT RUN_ID, STATUS FROM SYNC_RUNS ORDER BY RUN_ID") ==
             (table_rows{{"1", "success"}, {"2", "success"}}));
  BOOST_TEST(log(logs, "SELECT count(*) FROM SYNC_IDS") == (table_rows{{"3"}}));
  size_t lost = 0;
  const auto requests = sf_logs.requests();
  for (const auto& r : requests["log"])
    lost += r.value("status", 0) == 503 ? 1 : 0;
  BOOST_TEST(lost == 1u, requests.dump());
  size_t merges = 0;
  for (const auto& s : sf_logs.records())
    merges += s["statement"].get<std::string>().rfind("MERGE INTO \"BACKFLOW\".\"SYNC_RECORDS\"", 0) == 0;
  BOOST_TEST(merges == 1u);  // the retried submit was the same statement, not a second one
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_writeback
