// End to end: `backflow verify` reads back what HubSpot and Salesforce (emulators) hold for synced
// records, finds exactly the records edited or deleted there behind Backflow's back, and
// `--repair` makes the next run resend exactly those; a destination that cannot read back says so.
#include <boost/test/unit_test.hpp>

#include <set>

#include <sqlite3.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_verify)

using namespace backflow::testing;
using nlohmann::json;

namespace {

/// Hostile values, written by hand (never produced by the code under test): a key with a
/// separator and Unicode, an integer past 2^53, a 38-digit decimal, NULL and empty text.
constexpr const char* big_integer = "9007199254740993";
constexpr const char* wide_decimal = "12345678901234567890.123456789012345678";

/// A SQLite model `leads(k, name, n, d, note)`: `rows` rows, row 0 hostile.
struct leads_model {
  explicit leads_model(const temp_dir& dir) : path(dir.file("leads.sqlite")) {}

  void exec(const std::string& sql) const {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, message << " in " << sql);
  }
  void create(int rows, bool wide = true) const {
    exec("CREATE TABLE leads (k TEXT, name TEXT, n INTEGER, d TEXT, note TEXT)");
    exec(std::string("INSERT INTO leads VALUES ('ключ|ü€ 0', 'Zoë 名前', ") + big_integer +
         ", '" + (wide ? wide_decimal : "12345.678") + "', NULL)");
    for (int i = 1; i < rows; ++i)
      exec("INSERT INTO leads VALUES ('" + key(i) + "', 'Lead " + std::to_string(i) + "', " +
           std::to_string(i) + ", '" + std::to_string(i) + ".50', " + (i % 2 == 0 ? "''" : "'x'") +
           ")");
  }
  static std::string key(int i) { return "lead-" + std::to_string(i); }
  [[nodiscard]] json source() const {
    return {{"type", "sqlite"},
            {"path", path},
            {"query", "SELECT k, name, n, d, note FROM leads"},
            {"key", "k"}};
  }
  static json mapping(const std::string& name, const std::string& n, const std::string& d,
                      const std::string& note) {
    return json::array({{{"from", "name"}, {"to", name}},
                        {{"from", "n"}, {"to", n}, {"type", "integer"}},
                        {{"from", "d"}, {"to", d}, {"type", "number"}},
                        {{"from", "note"}, {"to", note}}});
  }

  std::string path;
};

struct verify_result {
  process_result process;
  json report;
};

verify_result verify(const cli& backflow, const std::string& sync,
                     std::vector<std::string> extra = {"--all"}) {
  std::vector<std::string> args = {"verify", sync, "--state", backflow.state_dir, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  verify_result r{backflow.run(args), json()};
  r.report = json::parse(r.process.out, nullptr, false);
  BOOST_TEST_MESSAGE("verify: " << r.process.out << r.process.err);
  return r;
}

/// The keys a report lists as drifted, by kind ("changed" or "missing").
std::map<std::string, std::string> drifted(const json& report) {
  std::map<std::string, std::string> out;
  for (const auto& r : report["records"])
    out[r["key"].get<std::string>()] = r["drift"].get<std::string>();
  return out;
}

void patch_records(emulator_process& emulator, const json& edits) {
  auto answer = http_call("PATCH", emulator.url("/__emulator/records"), edits.dump(),
                          {"Content-Type: application/json"});
  BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.status << " " << answer.body);
  BOOST_REQUIRE(answer.json()["not_found"].empty());
}

void require_run(const cli::run_result& r) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == 0, r.process.out << r.process.err);
}

}  // namespace

BOOST_AUTO_TEST_CASE(hubspot_drift_is_found_exactly_and_repair_converges) {
  temp_dir dir;
  leads_model model(dir);
  model.create(250);  // three read-back requests of 100
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  auto sync = write_sync(dir, {{"name", "leads_to_hubspot"},
                               {"source", model.source()},
                               {"destination",
                                {{"type", "hubspot"},
                                 {"endpoint", hubspot.url()},
                                 {"token", "emulator-token"},
                                 {"id_property", "lead_key"},
                                 {"rate_limit", {{"per_10s", 0}, {"daily", 0}}}}},
                               {"mapping", leads_model::mapping("firstname", "n", "d", "note")}});
  require_run(backflow.run_sync(sync));

  // Unchanged hostile values compare equal: nothing drifted, every record read back.
  auto clean = verify(backflow, sync);
  BOOST_REQUIRE_MESSAGE(clean.process.exit_code == 0, clean.process.out << clean.process.err);
  BOOST_TEST(clean.report["checked"] == 250);
  BOOST_TEST(clean.report["eligible"] == 250);
  BOOST_TEST(clean.report["changed"] == 0);
  BOOST_TEST(clean.report["missing"] == 0);
  BOOST_TEST(clean.report["api_calls"] == 3);

  // Behind Backflow's back: a number and a NULL-at-the-model field edited, one record archived;
  // one more edited whose row also changed in the model (the next run sends it anyway).
  patch_records(hubspot, json::array({
      {{"match", {{"lead_key", "ключ|ü€ 0"}}}, {"set", {{"d", std::string(wide_decimal) + "1"}}}},
      {{"match", {{"lead_key", model.key(7)}}}, {"set", {{"note", "edited in HubSpot"}}}},
      {{"match", {{"lead_key", model.key(42)}}}, {"delete", true}},
      {{"match", {{"lead_key", model.key(9)}}}, {"set", {{"firstname", "Someone"}}}},
  }));
  model.exec("UPDATE leads SET name = 'Lead nine' WHERE k = '" + model.key(9) + "'");
  // The control route names what it could not find, and refuses a malformed edit.
  auto unknown = http_call("PATCH", hubspot.url("/__emulator/records"),
                           R"([{"match":{"lead_key":"no-such-lead"},"set":{"note":"y"}}])");
  BOOST_TEST(unknown.status == 200);
  BOOST_TEST(unknown.json()["not_found"] == json::array({0}));
  BOOST_TEST(http_call("PATCH", hubspot.url("/__emulator/records"), R"({"match":[]})").status ==
             400);
  auto found = verify(backflow, sync);
  BOOST_REQUIRE_MESSAGE(found.process.exit_code == 1, found.process.out << found.process.err);
  std::map<std::string, std::string> want = {
      {"ключ|ü€ 0", "changed"}, {model.key(7), "changed"}, {model.key(42), "missing"}};
  BOOST_TEST(drifted(found.report) == want);
  BOOST_TEST(found.report["pending"] == 1);  // row 9 changed in the model
  for (const auto& r : found.report["records"])
    if (r["key"] == "ключ|ü€ 0")
      BOOST_TEST(r["fields"].size() == 1u);  // only the edited field: the others compare equal
  // Both values digit for digit in the report's text (a JSON number, never a double's).
  BOOST_TEST(found.process.out.find(std::string(R"("d":{"found":")") + wide_decimal + "1\",\"sent\":" +
                                    wide_decimal + "}") != std::string::npos);
  // A sample checks at most that many; a bad sample size is a usage error.
  BOOST_TEST(verify(backflow, sync, {"--sample", "5"}).report["checked"] == 5);
  BOOST_TEST(verify(backflow, sync, {"--sample", "0"}).process.exit_code == 2);

  auto repair = verify(backflow, sync, {"--all", "--repair"});
  BOOST_TEST(repair.process.exit_code == 1);
  BOOST_TEST(repair.report["repaired"] == 3);
  auto run = backflow.run_sync(sync);
  require_run(run);
  BOOST_TEST(run.summary["counts"]["changed"] == 4);  // the 3 repaired and row 9
  BOOST_TEST(run.summary["counts"]["delivered"] == 4);

  std::map<std::string, json> live;
  for (auto& r : hubspot.records())
    if (!r["archived"].get<bool>())
      live[r["properties"]["lead_key"].get<std::string>()] = r["properties"];
  BOOST_TEST(live.size() == 250u);
  BOOST_TEST(live["ключ|ü€ 0"]["d"] == wide_decimal);
  BOOST_TEST(live[model.key(7)]["note"] == "x");
  BOOST_TEST(live[model.key(42)]["firstname"] == "Lead 42");
  BOOST_TEST(live[model.key(9)]["firstname"] == "Lead nine");
  auto after = verify(backflow, sync);
  BOOST_TEST(after.process.exit_code == 0);
  BOOST_TEST(after.report["checked"] == 250);
  BOOST_TEST(after.report["records"].empty());
}

BOOST_AUTO_TEST_CASE(salesforce_drift_is_found_exactly_and_repair_converges) {
  temp_dir dir;
  leads_model model(dir);
  model.create(30, /*wide=*/false);  // the emulator keeps numbers as doubles (Salesforce: 18 digits)
  emulator_process salesforce{"salesforce", {"--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  auto sync = write_sync(dir, {{"name", "leads_to_salesforce"},
                               {"source", model.source()},
                               {"destination",
                                {{"type", "salesforce"},
                                 {"instance_url", salesforce.url()},
                                 {"token", "emulator-token"},
                                 {"object", "Contact"},
                                 {"external_id_field", "Lead_Key__c"}}},
                               {"mapping", leads_model::mapping("LastName", "N__c", "D__c",
                                                                "Note__c")}});
  require_run(backflow.run_sync(sync));
  auto clean = verify(backflow, sync);
  BOOST_REQUIRE_MESSAGE(clean.process.exit_code == 0, clean.process.out << clean.process.err);
  BOOST_TEST(clean.report["checked"] == 30);

  patch_records(salesforce, json::array({
      {{"object", "Contact"}, {"match", {{"Lead_Key__c", "ключ|ü€ 0"}}}, {"set", {{"N__c", 9007199254740992}}}},
      {{"object", "Contact"}, {"match", {{"Lead_Key__c", model.key(3)}}}, {"set", {{"Note__c", nullptr}}}},
      {{"object", "Contact"}, {"match", {{"Lead_Key__c", model.key(4)}}}, {"delete", true}},
  }));
  auto found = verify(backflow, sync);
  BOOST_REQUIRE_MESSAGE(found.process.exit_code == 1, found.process.out << found.process.err);
  std::map<std::string, std::string> want = {
      {"ключ|ü€ 0", "changed"}, {model.key(3), "changed"}, {model.key(4), "missing"}};
  BOOST_TEST(drifted(found.report) == want);

  BOOST_TEST(verify(backflow, sync, {"--all", "--repair"}).report["repaired"] == 3);
  auto run = backflow.run_sync(sync);
  require_run(run);
  BOOST_TEST(run.summary["counts"]["delivered"] == 3);
  auto after = verify(backflow, sync);
  BOOST_TEST(after.process.exit_code == 0);
  BOOST_TEST(after.report["checked"] == 30);

  // The same sync name pointed at another object: what was delivered says nothing about it.
  auto sync_file = json::parse(read_file(sync));
  sync_file["destination"]["object"] = "Lead";
  auto elsewhere = write_sync(dir, sync_file, "elsewhere.json");
  auto calls = salesforce.requests()["count"].get<int64_t>();
  auto refused = verify(backflow, elsewhere, {"--all", "--repair"});
  BOOST_TEST(refused.process.exit_code == 2);
  BOOST_TEST(refused.report["status"] == "config_error");
  BOOST_TEST(salesforce.requests()["count"].get<int64_t>() == calls);
}

BOOST_AUTO_TEST_CASE(a_destination_that_cannot_read_back_says_so) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  model->insert(0, 5);
  emulator_process webhook{"webhook", {"--secret", "s3cret"}};
  cli backflow{dir.file("state"), {}};
  auto sync = write_sync(dir, webhook_sync(*model, webhook.url("/hook"), "s3cret"));
  require_run(backflow.run_sync(sync));
  auto calls = webhook.requests()["count"].get<int64_t>();
  auto r = verify(backflow, sync);
  BOOST_TEST(r.process.exit_code == 7);
  BOOST_TEST(r.report["status"] == "cannot_read_back");
  BOOST_TEST(r.report["error"].get<std::string>().find("cannot read records back") !=
             std::string::npos);
  BOOST_TEST(webhook.requests()["count"].get<int64_t>() == calls);
  // Nor can its emulator edit records behind the client's back.
  BOOST_TEST(http_call("PATCH", webhook.url("/__emulator/records"), "{}").status == 501);
}

BOOST_AUTO_TEST_SUITE_END()
