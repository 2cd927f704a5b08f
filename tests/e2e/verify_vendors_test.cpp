// End to end (suite e2e_verify, with verify_test.cpp): `backflow verify` reads back Zendesk,
// Intercom, Marketo and Braze (emulators) through their documented read endpoints, finds exactly
// the records edited or deleted there behind Backflow's back, and `--repair` converges.
#include <boost/test/unit_test.hpp>

#include <cctype>
#include <functional>

#include <sqlite3.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_verify)

using namespace backflow::testing;
using nlohmann::json;

namespace vendor_verify {

/// Hostile values written by hand: a key with a separator, a space and Unicode; an integer past
/// 2^53 (a double holds ...992 for it); a 38-digit decimal sent as text; NULL and empty text.
constexpr const char* hostile_key = "ключ|ü€ 0";
constexpr const char* big_integer = "9007199254740993";
constexpr const char* wide_decimal = "12345678901234567890.123456789012345678";

/// A SQLite model `leads(k, name, n, d, note)` of `rows` rows, row 0 hostile; row i (i > 0) has
/// key lead-i, n = i, d = "i.50" (text), note 'x' when i is odd, '' when even.
struct hostile_leads {
  explicit hostile_leads(const temp_dir& dir, int rows) : path(dir.file("leads.sqlite")) {
    std::string sql = "BEGIN; CREATE TABLE leads (k TEXT, name TEXT, n INTEGER, d TEXT, note TEXT);";
    sql += std::string("INSERT INTO leads VALUES ('") + hostile_key + "', 'Zoë 名前', " +
           big_integer + ", '" + wide_decimal + "', NULL);";
    for (int i = 1; i < rows; ++i)
      sql += "INSERT INTO leads VALUES ('" + key(i) + "', 'Lead " + std::to_string(i) + "', " +
             std::to_string(i) + ", '" + std::to_string(i) + ".50', " +
             (i % 2 == 0 ? "''" : "'x'") + ");";
    exec(sql + "COMMIT;");  // one transaction: a commit per row would cost a sync each
  }
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
  static std::string key(int i) { return "lead-" + std::to_string(i); }
  [[nodiscard]] json source(const std::string& select = "k, name, n, d, note") const {
    return {{"type", "sqlite"}, {"path", path}, {"query", "SELECT " + select + " FROM leads"},
            {"key", "k"}};
  }
  std::string path;
};

/// One vendor's scenario: its emulator, the sync's destination and mapping, and how its
/// emulator's control route names a record's edit or deletion.
struct vendor {
  std::string emulator;
  std::vector<std::string> emulator_args;
  std::function<json(const std::string& url)> destination;
  json mapping;
  /// The edit setting `set` (destination field → value) on the record of key `key`.
  std::function<json(const std::string& key, const json& set)> edit;
  std::function<json(const std::string& key)> remove;
  std::string n_field;     ///< where column n (integer) goes
  std::string note_field;  ///< where column note (NULL, '' or 'x') goes
  int rows = 30;
  std::function<std::string(const std::string& key)> key_of = [](const std::string& k) {
    return k;
  };
};

json run_verify(const cli& backflow, const std::string& sync, std::vector<std::string> extra,
                process_result& process) {
  std::vector<std::string> args = {"verify", sync, "--state", backflow.state_dir, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  process = backflow.run(args);
  BOOST_TEST_MESSAGE("verify: " << process.out << process.err);
  return json::parse(process.out, nullptr, false);
}

std::map<std::string, std::string> drift_of(const json& report) {
  std::map<std::string, std::string> out;
  if (report.is_object() && report.contains("records"))
    for (const auto& r : report["records"])
      out[r["key"].get<std::string>()] = r["drift"].get<std::string>();
  return out;
}

void patch(emulator_process& emulator, const json& edits) {
  auto answer = http_call("PATCH", emulator.url("/__emulator/records"), edits.dump(),
                          {"Content-Type: application/json"});
  BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.status << " " << answer.body);
  BOOST_REQUIRE_MESSAGE(answer.json()["not_found"].empty(), answer.body);
}

/// Sync, verify clean, edit and delete behind Backflow's back, verify finds exactly those,
/// repair, run, verify clean again.
void drift_is_found_exactly_and_repair_converges(const vendor& v) {
  temp_dir dir;
  hostile_leads model(dir, v.rows);
  emulator_process emulator{v.emulator, v.emulator_args};
  cli backflow{dir.file("state"), {}};
  json mapping = v.mapping;
  auto sync = write_sync(dir, {{"name", "leads_to_" + v.emulator},
                               {"source", model.source()},
                               {"destination", v.destination(emulator.url())},
                               {"mapping", mapping}});
  auto first = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);

  // Unchanged hostile values compare equal: every record read back, none drifted.
  process_result p;
  auto clean = run_verify(backflow, sync, {"--all"}, p);
  BOOST_REQUIRE_MESSAGE(p.exit_code == 0, p.out << p.err);
  BOOST_TEST(clean["checked"] == v.rows);
  BOOST_TEST(clean["unchecked"] == 0);

  // Behind Backflow's back: the integer past 2^53 moved by one (a double cannot tell), a note
  // set on a row whose note is '', one record deleted; and a note cleared from '' to null on
  // another, which the vendor stores alike: not drift.
  const auto hostile = v.key_of(hostile_key);
  patch(emulator, json::array({v.edit(hostile, {{v.n_field, json::parse("9007199254740994")}}),
                               v.edit(v.key_of(model.key(4)), {{v.note_field, "edited"}}),
                               v.remove(v.key_of(model.key(5))),
                               v.edit(v.key_of(model.key(6)), {{v.note_field, nullptr}})}));
  auto found = run_verify(backflow, sync, {"--all"}, p);
  BOOST_REQUIRE_MESSAGE(p.exit_code == 1, p.out << p.err);
  std::map<std::string, std::string> want = {
      {hostile_key, "changed"}, {model.key(4), "changed"}, {model.key(5), "missing"}};
  BOOST_TEST(drift_of(found) == want);
  for (const auto& r : found["records"])
    if (r["key"] == hostile_key)
      BOOST_TEST(r["fields"].size() == 1u);  // only the edited field
  BOOST_TEST(p.out.find(std::string("\"found\":9007199254740994,\"sent\":") + big_integer) !=
             std::string::npos);

  auto repair = run_verify(backflow, sync, {"--all", "--repair"}, p);
  BOOST_TEST(p.exit_code == 1);
  BOOST_TEST(repair["repaired"] == 3);
  auto run = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0, run.process.out << run.process.err);
  BOOST_TEST(run.summary["counts"]["changed"] == 3);
  BOOST_TEST(run.summary["counts"]["delivered"] == 3);
  auto after = run_verify(backflow, sync, {"--all"}, p);
  BOOST_TEST(p.exit_code == 0);
  BOOST_TEST(after["checked"] == v.rows);
  BOOST_TEST(after["records"].empty());
}

}  // namespace vendor_verify

BOOST_AUTO_TEST_CASE(zendesk_users_drift_is_found_exactly_and_repair_converges) {
  vendor_verify::vendor v;
  v.emulator = "zendesk";
  v.emulator_args = {"--per-minute", "0", "--bulk-delay-ms", "0"};
  v.destination = [](const std::string& url) {
    return json{{"type", "zendesk"}, {"url", url}, {"email", "sync@example.com"},
                {"api_token", "emulator-token"}, {"object", "users"},
                {"poll_initial", "10ms"}};
  };
  v.mapping = json::array({{{"from", "name"}, {"to", "name"}},
                           {{"from", "n"}, {"to", "user_fields.n"}, {"type", "integer"}},
                           {{"from", "d"}, {"to", "user_fields.d"}},
                           {{"from", "note"}, {"to", "notes"}}});
  v.n_field = "user_fields.n";
  v.note_field = "notes";
  v.rows = 150;  // two show_many requests of 100
  v.edit = [](const std::string& key, const json& set) {
    return json{{"object", "users"}, {"match", {{"external_id", key}}}, {"set", set}};
  };
  v.remove = [](const std::string& key) {
    return json{{"object", "users"}, {"match", {{"external_id", key}}}, {"delete", true}};
  };
  vendor_verify::drift_is_found_exactly_and_repair_converges(v);
}

BOOST_AUTO_TEST_CASE(zendesk_organizations_drift_is_found_exactly_and_repair_converges) {
  vendor_verify::vendor v;
  v.emulator = "zendesk";
  v.emulator_args = {"--per-minute", "0", "--bulk-delay-ms", "0"};
  v.destination = [](const std::string& url) {
    return json{{"type", "zendesk"}, {"url", url}, {"email", "sync@example.com"},
                {"api_token", "emulator-token"}, {"object", "organizations"},
                {"poll_initial", "10ms"}};
  };
  v.mapping = json::array({{{"from", "name"}, {"to", "name"}},
                           {{"from", "n"}, {"to", "organization_fields.n"}, {"type", "integer"}},
                           {{"from", "d"}, {"to", "organization_fields.d"}},
                           {{"from", "note"}, {"to", "notes"}}});
  v.n_field = "organization_fields.n";
  v.note_field = "notes";
  v.rows = 12;  // one upsert request per organization
  v.edit = [](const std::string& key, const json& set) {
    return json{{"object", "organizations"}, {"match", {{"external_id", key}}}, {"set", set}};
  };
  v.remove = [](const std::string& key) {
    return json{{"object", "organizations"}, {"match", {{"external_id", key}}}, {"delete", true}};
  };
  // Zendesk treats external ids without case: the edits name them upper-cased.
  v.key_of = [](const std::string& k) {
    std::string upper = k;
    for (auto& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  };
  vendor_verify::drift_is_found_exactly_and_repair_converges(v);
}

BOOST_AUTO_TEST_CASE(intercom_contacts_drift_is_found_exactly_and_repair_converges) {
  vendor_verify::vendor v;
  v.emulator = "intercom";
  v.emulator_args = {"--per-10s", "0"};
  v.destination = [](const std::string& url) {
    return json{{"type", "intercom"}, {"endpoint", url}, {"token", "emulator-token"},
                {"object", "contacts"}, {"match_by", "external_id"}};
  };
  // name is a top-level attribute; the others are custom attributes.
  v.mapping = json::array({{{"from", "name"}, {"to", "name"}},
                           {{"from", "n"}, {"to", "n"}, {"type", "integer"}},
                           {{"from", "d"}, {"to", "d"}},
                           {{"from", "note"}, {"to", "note"}}});
  v.n_field = "n";
  v.note_field = "note";
  v.rows = 40;  // three searches of at most 15 values
  v.edit = [](const std::string& key, const json& set) {
    return json{{"match", {{"external_id", key}}}, {"set", {{"custom_attributes", set}}}};
  };
  v.remove = [](const std::string& key) {
    return json{{"match", {{"external_id", key}}}, {"delete", true}};
  };
  vendor_verify::drift_is_found_exactly_and_repair_converges(v);
}

BOOST_AUTO_TEST_CASE(marketo_leads_drift_is_found_exactly_and_repair_converges) {
  vendor_verify::vendor v;
  v.emulator = "marketo";
  v.emulator_args = {"--per-20s", "0", "--daily", "0"};
  v.destination = [](const std::string& url) {
    return json{{"type", "marketo"}, {"endpoint", url}, {"client_id", "emulator-client"},
                {"client_secret", "emulator-secret"}, {"lookup_field", "leadKey"},
                {"rate_limit", {{"per_20s", 0}, {"daily", 0}}}};
  };
  v.mapping = json::array({{{"from", "name"}, {"to", "firstName"}},
                           {{"from", "n"}, {"to", "leadScore"}, {"type", "integer"}},
                           {{"from", "d"}, {"to", "dealText"}},
                           {{"from", "note"}, {"to", "notes"}}});
  v.n_field = "leadScore";
  v.note_field = "notes";
  v.rows = 320;  // two queries: 300 filterValues, then 20
  v.edit = [](const std::string& key, const json& set) {
    return json{{"match", {{"leadKey", key}}}, {"set", set}};
  };
  v.remove = [](const std::string& key) {
    return json{{"match", {{"leadKey", key}}}, {"delete", true}};
  };
  vendor_verify::drift_is_found_exactly_and_repair_converges(v);
}

BOOST_AUTO_TEST_CASE(braze_users_drift_is_found_exactly_and_repair_converges) {
  vendor_verify::vendor v;
  v.emulator = "braze";
  v.emulator_args = {"--per-3s", "0"};
  v.destination = [](const std::string& url) {
    return json{{"type", "braze"}, {"endpoint", url}, {"api_key", "emulator-key"}};
  };
  // first_name is a standard attribute; the others are custom attributes.
  v.mapping = json::array({{{"from", "name"}, {"to", "first_name"}},
                           {{"from", "n"}, {"to", "n"}, {"type", "integer"}},
                           {{"from", "d"}, {"to", "d"}},
                           {{"from", "note"}, {"to", "note"}}});
  v.n_field = "n";
  v.note_field = "note";
  v.rows = 60;  // two exports: 50 external_ids, then 10
  v.edit = [](const std::string& key, const json& set) {
    return json{{"match", {{"external_id", key}}}, {"set", set}};
  };
  v.remove = [](const std::string& key) {
    return json{{"match", {{"external_id", key}}}, {"delete", true}};
  };
  vendor_verify::drift_is_found_exactly_and_repair_converges(v);
}

BOOST_AUTO_TEST_SUITE_END()
