// Malformed sync files, one per table row: validate and run both exit 2, name the key path, contact nothing.
#define BOOST_TEST_MODULE bad_sync_files
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

using namespace backflow::testing;
using nlohmann::json;
namespace utf = boost::unit_test;

namespace {

/// Every base sync reads its token (or webhook secret) from BF_CFG_TOKEN; no output may show it.
const std::string secret = "tok-Zq8-RECOGNISABLE-S3CRET";
const std::string unset = "BF_CFG_NEVER_SET_VARIABLE";  // never in any environment
const std::string audience = "23850000000000001";       // the meta emulator's default audience

/// The warehouse (5 contacts) and one running emulator per destination, shared by every row.
struct world {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  std::map<std::string, std::unique_ptr<emulator_process>> emulators;
  world() {
    model->insert(0, 5);
    for (std::string kind : {"hubspot", "salesforce", "meta", "webhook"})
      emulators[kind] = std::make_unique<emulator_process>(
          kind, std::vector<std::string>{kind == "webhook" ? "--secret" : "--token", secret});
  }
  std::string url(const std::string& kind) { return emulators.at(kind)->url(); }
  /// Requests the emulators have answered on their API (the control API is not counted).
  long requests() {
    long n = 0;
    for (auto& [kind, emu] : emulators)
      n += emu->requests()["count"].get<long>();
    return n;
  }
};

world& the_world() {
  static world w;
  return w;
}

/// A valid sync file for each destination, pointing at its running emulator.
json base(const std::string& kind) {
  auto& w = the_world();
  const std::string token = "${BF_CFG_TOKEN}";
  if (kind == "hubspot") {
    auto s = hubspot_sync(*w.model, w.url("hubspot"));
    s["destination"]["token"] = token;
    return s;
  }
  if (kind == "webhook")
    return webhook_sync(*w.model, w.url("webhook") + "/hooks/backflow", token);
  if (kind == "salesforce")
    return {{"name", "contacts_to_salesforce"},
            {"source", w.model->source()},
            {"destination", {{"type", "salesforce"}, {"instance_url", w.url("salesforce")},
                             {"token", token}, {"object", "Contact"},
                             {"external_id_field", "Backflow_Key__c"}}},
            {"mode", "upsert"},
            {"mapping", {{{"from", "email"}, {"to", "Email"}},
                         {{"from", "score"}, {"to", "Score__c"}, {"type", "number"}}}}};
  return {{"name", "members_to_meta"},
          {"source", w.model->source()},
          {"destination", {{"type", "meta_audience"}, {"endpoint", w.url("meta")},
                           {"token", token}, {"audience_id", audience}}},
          {"mode", "audience"},
          {"mapping", {{{"from", "email"}, {"to", "EMAIL"}}}}};
}

using edit = std::function<void(json&)>;
edit set(const std::string& pointer, json value) {
  return [=](json& j) { j[json::json_pointer(pointer)] = value; };
}
edit drop(const std::string& pointer) {
  return [=](json& j) {
    json::json_pointer p(pointer);
    j[p.parent_pointer()].erase(p.back());
  };
}
/// Sets a string to one built from the running world (an emulator URL, a sibling path).
edit set_with(const std::string& pointer, std::function<std::string()> make) {
  return [=](json& j) { j[json::json_pointer(pointer)] = make(); };
}

struct row {
  std::string name;
  std::string base;         ///< hubspot | webhook | salesforce | meta; "" = `raw` is the whole file
  std::vector<edit> edits;  ///< applied to the base sync, in order
  std::string raw;
  std::string path;         ///< the key path the error names ("" = the file as a whole)
  std::string message;      ///< a distinctive part of that error
  std::map<std::string, std::string> env = {};
  std::string absent = "";  ///< a key path that must NOT be reported
  std::string hidden = "";  ///< another secret the output must not show
};

const std::string pg_dsn = "postgresql://loader:dsn-pa55-HIDDEN@127.0.0.1:1/warehouse";
const json pg_source = {{"type", "postgres"}, {"dsn", pg_dsn},
                        {"query", "SELECT email, first_name, score, tier FROM contacts"},
                        {"key", "email"}};

// clang-format off
const std::vector<row>& table() {
  static const std::vector<row> rows = {
    // Broken JSON: the error names line and column.
    {"unterminated object", "", {}, "{\n  \"name\": \"broken\",\n  \"source\": {\"type\": \"sqlite\"\n",
     "", "not valid JSON at line 4, column 1"},
    {"trailing comma", "", {}, "{\n  \"name\": \"x\",\n  \"mode\": \"upsert\",\n}\n",
     "", "not valid JSON at line 4, column 1"},
    {"garbage", "", {}, "name = contacts_to_hubspot\n", "", "not valid JSON at line 1"},
    {"empty file", "", {}, "", "", "not valid JSON at line 1, column 1"},
    {"single quotes", "", {}, "{'name': 'x'}", "", "not valid JSON at line 1, column 2"},
    {"array instead of object", "", {}, "[{\"name\": \"x\"}]", "", "a sync file is a JSON object"},
    // Wrong types and out-of-range values.
    {"name as number", "hubspot", {set("/name", 42)}, "", "name", "expected a string, got an integer"},
    {"source as string", "hubspot", {set("/source", "warehouse.sqlite")}, "", "source",
     "expected an object, got a string"},
    {"key as object", "hubspot", {set("/source/key", {{"column", "email"}})}, "", "source.key",
     "expected a string or a list of strings, got an object"},
    {"mapping not a list", "hubspot", {set("/mapping", {{"email", "email"}})}, "", "mapping",
     "expected a list"},
    {"mapping entry not an object", "hubspot", {set("/mapping/1", "first_name")}, "", "mapping[1]",
     "expected an object, got a string"},
    {"batch_size as string", "hubspot", {set("/destination/batch_size", "100")}, "",
     "destination.batch_size", "expected an integer, got a string"},
    {"per_10s as string", "hubspot", {set("/destination/rate_limit/per_10s", "100")}, "",
     "destination.rate_limit.per_10s", "expected an integer, got a string"},
    {"concurrency zero", "hubspot", {set("/delivery/concurrency", 0)}, "", "delivery.concurrency",
     "must be between 1 and 64"},
    {"concurrency negative", "hubspot", {set("/delivery/concurrency", -4)}, "",
     "delivery.concurrency", "must be between 1 and 64"},
    {"concurrency too big", "hubspot", {set("/delivery/concurrency", 1000)}, "",
     "delivery.concurrency", "must be between 1 and 64"},
    {"guard ratio as string", "hubspot", {set("/guards/max_changed_ratio", "25%")}, "",
     "guards.max_changed_ratio", "expected a number, got a string"},
    {"guard ratio negative", "hubspot", {set("/guards/max_deleted_ratio", -0.1)}, "",
     "guards.max_deleted_ratio", "must be between 0 and 1"},
    {"duration fast", "hubspot", {set("/delivery/request_timeout", "fast")}, "",
     "delivery.request_timeout", "expected a duration"},
    {"duration 10 parsecs", "hubspot", {set("/delivery/retry_max", "10 parsecs")}, "",
     "delivery.retry_max", "expected a duration"},
    {"unknown mode", "hubspot", {set("/mode", "sync")}, "", "mode", "must be one of"},
    {"cron with six fields", "webhook", {set("/schedule", {{"cron", "0 */5 * * * *"}})}, "",
     "schedule.cron", "is not a 5-field cron expression"},
    {"unknown time zone", "webhook",
     {set("/schedule", {{"cron", "0 6 * * *"}, {"timezone", "Europe/Atlantis"}})}, "",
     "schedule.timezone", "\"Europe/Atlantis\" is not a known time zone"},
    {"time zone as a path", "webhook",
     {set("/schedule", {{"cron", "0 6 * * *"}, {"timezone", "../../etc/passwd"}})}, "",
     "schedule.timezone", "is not \"UTC\", an offset like \"+02:00\" or a zone name"},
    {"every and cron at once", "webhook", {set("/schedule", {{"every", "5m"}, {"cron", "* * * * *"}})},
     "", "schedule", "give exactly one of"},
    {"every as words", "webhook", {set("/schedule", {{"every", "hourly"}})}, "", "schedule.every",
     "expected a duration"},
    // Unknown keys.
    {"unknown top-level key", "hubspot", {set("/colour", "blue")}, "", "colour", "unknown key"},
    {"unknown source key", "hubspot", {set("/source/table", "contacts")}, "", "source.table",
     "unknown key"},
    {"unknown destination key", "salesforce", {set("/destination/api_key", "x")}, "",
     "destination.api_key", "unknown key"},
    {"unknown mapping entry key", "hubspot", {set("/mapping/2/transfrom", "trim")}, "",
     "mapping[2].transfrom", "unknown key"},
    {"unknown guards key", "hubspot", {set("/guards/max_change_ratio", 0.5)}, "",
     "guards.max_change_ratio", "unknown key"},
    {"unknown delivery key", "webhook", {set("/delivery/retries", 3)}, "", "delivery.retries",
     "unknown key"},
    // Missing required keys.
    {"missing name", "hubspot", {drop("/name")}, "", "name", "is required"},
    {"missing source.query", "hubspot", {drop("/source/query")}, "", "source.query", "is required"},
    {"missing source.key", "webhook", {drop("/source/key")}, "", "source.key", "is required"},
    {"missing destination.type", "hubspot", {drop("/destination/type")}, "", "destination.type",
     "is required (one of: "},  // the registry's names: unit_config checks the list
    {"missing destination.token", "hubspot", {drop("/destination/token")}, "", "destination.token",
     "is required"},
    {"missing salesforce external_id_field", "salesforce", {drop("/destination/external_id_field")},
     "", "destination.external_id_field", "is required"},
    {"missing meta audience_id", "meta", {drop("/destination/audience_id")}, "",
     "destination.audience_id", "is required"},
    {"missing mapping to", "salesforce", {drop("/mapping/1/to")}, "", "mapping[1].to", "is required"},
    // Environment variables.
    {"unset variable in token", "hubspot", {set("/destination/token", "${" + unset + "}")}, "",
     "destination.token", "environment variable " + unset + " is not set"},
    {"unset variable in dsn", "hubspot",
     {set("/source", pg_source), set("/source/dsn", "${" + unset + "}")}, "", "source.dsn",
     "environment variable " + unset + " is not set"},
    {"a default is not an error", "hubspot",
     {set("/destination/token", "${" + unset + ":-fallback-token}"), set("/destination/colour", 1)},
     "", "destination.colour", "unknown key", {}, "destination.token"},
    {"bad variable reference", "webhook", {set("/destination/secret", "${1SECRET}")}, "",
     "destination.secret", "is not a valid environment variable reference"},
    // Secrets from the environment or a DSN, quoted by an error, are redacted.
    {"secret quoted as an endpoint", "hubspot", {set("/destination/endpoint", "${BF_CFG_TOKEN}")},
     "", "destination.endpoint", "\"***\" is not a valid http(s) URL"},
    {"secret quoted as an object", "hubspot", {set("/destination/object", "${BF_CFG_TOKEN}")}, "",
     "destination.object", "must be one of"},
    {"secret dsn with another error", "hubspot",
     {set("/source", pg_source), set("/source/path", "warehouse.sqlite")}, "", "source.path",
     "only applies to a sqlite source", {}, "", "dsn-pa55-HIDDEN"},
    // Invalid URLs.
    {"url without scheme", "hubspot", {set_with("/destination/endpoint", [] {
       return the_world().url("hubspot").substr(7); })}, "", "destination.endpoint",
     "is not a valid http(s) URL"},
    {"ftp url", "webhook", {set("/destination/endpoint", "ftp://127.0.0.1/hooks")}, "",
     "destination.endpoint", "is not a valid http(s) URL"},
    {"url with spaces", "salesforce", {set("/destination/instance_url", "http://my org.example")},
     "", "destination.instance_url", "is not a valid http(s) URL"},
    {"url with empty host", "meta", {set("/destination/endpoint", "http:///v19.0")}, "",
     "destination.endpoint", "is not a valid http(s) URL"},
    // Destinations, modes, mapping.
    {"unknown destination type", "hubspot", {set("/destination/type", "pardot")}, "",
     "destination.type", "unknown destination \"pardot\" (known: "},
    {"hubspot audience", "hubspot", {set("/mode", "audience")}, "", "mode",
     "hubspot does not support mode \"audience\""},
    {"meta upsert", "meta", {set("/mode", "upsert")}, "", "mode",
     "meta_audience does not support mode \"upsert\" (supported: audience)"},
    {"unknown transform", "hubspot", {set("/mapping/1/transform", json::array({"trim", "shout"}))},
     "", "mapping[1].transform", "unknown transform \"shout\""},
    {"unknown field type", "hubspot", {set("/mapping/2/type", "money")}, "", "mapping[2].type",
     "must be one of"},
    {"field mapped twice", "hubspot", {set("/mapping/3/to", "firstname")}, "", "mapping[3].to",
     "field \"firstname\" is mapped twice"},
    {"sync name with spaces", "hubspot", {set("/name", "contacts to hubspot")}, "", "name",
     "may only contain letters, digits"},
    {"sync name with slashes", "webhook", {set("/name", "../contacts/hubspot")}, "", "name",
     "may only contain letters, digits"},
    {"sqlite without path", "hubspot", {drop("/source/path")}, "", "source.path",
     "is required for a sqlite source"},
    {"postgres with path", "webhook",
     {set("/source", pg_source), set("/source/dsn", "${BF_CFG_TOKEN}"),
      set("/source/path", "w.sqlite")}, "", "source.path", "only applies to a sqlite source"},
    {"key given twice", "webhook", {set("/source/key", json::array({"email", "email"}))}, "",
     "source.key", "column \"email\" is listed twice"},
    {"meta target not a meta key", "meta", {set("/mapping/0/to", "email")}, "", "mapping[0].to",
     "\"email\" is not a Meta key"},
    {"webhook batch_size too big", "webhook", {set("/destination/batch_size", 10001)}, "",
     "destination.batch_size", "must be between 1 and 10000"},
    {"webhook batch_size zero", "webhook", {set("/destination/batch_size", 0)}, "",
     "destination.batch_size", "must be between 1 and 10000"},
    {"salesforce api_version 59", "salesforce", {set("/destination/api_version", "59")}, "",
     "destination.api_version", "must look like \"v59.0\""},
    // Checked against the model (validate opens the warehouse; run must refuse as early).
    {"mapping from a missing column", "hubspot", {set("/mapping/2/from", "scroe")}, "",
     "mapping[2].from", "column \"scroe\" is not returned by the query"},
    {"key column not returned", "webhook", {set("/source/key", "mail")}, "", "source.key",
     "column \"mail\" is not returned by the query"},
    {"sqlite path does not exist", "hubspot", {set("/source/path", "no-such-warehouse.sqlite")}, "",
     "source.path", "cannot open SQLite database"},
    {"meta api_version 19", "meta", {set("/destination/api_version", "19")}, "",
     "destination.api_version", "must look like \"v19.0\""},
  };
  return rows;
}
// clang-format on

/// True when some line of `err` is `FILE: PATH: ...message...` (or `FILE: ...message...`).
bool reports(const std::string& err, const std::string& file, const std::string& path,
             const std::string& message) {
  auto prefix = file + ": " + (path.empty() ? "" : path + ": ");
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0 && line.find(message, prefix.size()) != std::string::npos)
      return true;
  return false;
}

/// Whether the state directory recorded a run of any sync.
bool holds_a_run(const cli& backflow) {
  if (!std::filesystem::exists(backflow.state_dir + "/data.mdb"))
    return false;
  auto status = json::parse(backflow.run({"status", "--state", backflow.state_dir, "--json"}).out,
                            nullptr, false);
  if (!status.is_array())
    return true;  // a state directory we cannot read counts as touched
  for (const auto& s : status)
    if (s.contains("last_run") && !s["last_run"].is_null())
      return true;
  return false;
}

/// Writes the row's file, runs validate and run on it, and checks the promise.
void check_row(const row& r) {
  BOOST_TEST_CONTEXT("row \"" << r.name << "\"") {
    temp_dir dir;
    std::string text = r.raw;
    if (!r.base.empty()) {
      auto sync = base(r.base);
      for (const auto& e : r.edits)
        e(sync);
      text = sync.dump(2);
    }
    auto file = dir.file("sync.json");
    write_file(file, text);
    auto env = r.env;
    env.emplace("BF_CFG_TOKEN", secret);
    cli backflow{dir.file("state"), env};
    auto before = the_world().requests();
    auto validate = backflow.run({"validate", file});
    auto run = backflow.run({"run", file, "--state", backflow.state_dir, "--json"});
    BOOST_TEST(the_world().requests() - before == 0, "an emulator was contacted");
    BOOST_TEST(!holds_a_run(backflow), "the state directory records a run");
    for (auto [command, p] : {std::pair{"validate", &validate}, std::pair{"run", &run}}) {
      bool named = reports(p->err, file, r.path, r.message);
      bool extra = !r.absent.empty() && reports(p->err, file, r.absent, "");
      bool leaked = (p->out + p->err).find(secret) != std::string::npos ||
                    (!r.hidden.empty() && (p->out + p->err).find(r.hidden) != std::string::npos);
      BOOST_TEST(p->exit_code == 2, command << " exited " << p->exit_code);
      BOOST_TEST(named, command << " does not report `" << r.path << ": ..." << r.message << "`");
      BOOST_TEST(!extra, command << " reports " << r.absent);
      BOOST_TEST(!leaked, command << " shows a secret");
      if (p->exit_code != 2 || !named || extra || leaked)
        BOOST_TEST_MESSAGE(command << " (" << r.name << ") stderr:\n" << p->err << "stdout:\n"
                                   << p->out.substr(0, 2000));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_base_sync_files_are_valid_and_reach_their_emulators) {
  for (std::string kind : {"hubspot", "webhook", "salesforce", "meta"}) {
    BOOST_TEST_CONTEXT(kind) {
      temp_dir dir;
      auto file = write_sync(dir, base(kind));
      cli backflow{dir.file("state"), {{"BF_CFG_TOKEN", secret}}};
      auto validate = backflow.run({"validate", file});
      BOOST_TEST(validate.exit_code == 0, validate.err);
      auto before = the_world().requests();
      auto run = backflow.run_sync(file);
      BOOST_TEST(run.process.exit_code == 0, run.process.out << run.process.err);
      BOOST_TEST(the_world().requests() > before);  // so "0 requests" below means something
    }
  }
}

BOOST_AUTO_TEST_CASE(a_variable_with_a_default_needs_no_environment) {
  temp_dir dir;
  auto sync = base("hubspot");
  sync["destination"]["token"] = "${" + unset + ":-" + secret + "}";
  auto r = cli{dir.file("state"), {}}.run({"validate", write_sync(dir, sync)});
  BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_AUTO_TEST_CASE(every_bad_sync_file_is_refused_up_front) {
  BOOST_TEST(table().size() >= 30u);
  for (const auto& r : table())
    check_row(r);
}
