// End to end: every sync file in examples/ (found, not listed) is validated and run against its
// emulator on the example warehouse (a SQLite file, served by the emulator standing in for the
// source type where one does, e.g. backflow-emulator snowflake, bigquery (a service-account key
// file whose token_uri is the emulator's) or databricks; examples/warehouse.sql loaded
// into the throwaway MariaDB server for a mysql example, examples/warehouse.clickhouse.sql into
// the throwaway ClickHouse server for a clickhouse one, examples/warehouse.redshift.sql into a
// schema of the test PostgreSQL for a redshift one).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include <sqlite3.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/clickhouse_server.hpp"
#include "tests/sources/conformance/adapters/adapter_support.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_examples)

using namespace backflow::testing;
namespace data = boost::unit_test::data;

namespace {

/// An example, the emulator it runs against, and the variables that point it there.
struct example {
  std::string file;
  std::string emulator;
  std::map<std::string, std::string> endpoints;  ///< variable → path below the emulator's URL
  std::string source_type;
  std::string source_emulator;  ///< the emulator standing in for the warehouse, or ""
  /// Source option → the variable its value is read from ("${VAR}" or "${VAR:-default}").
  std::map<std::string, std::string> source_variables;
};

/// Every sync file in examples/, by name.
std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/examples"))
    if (entry.path().extension() == ".json")
      files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

/// Reads an example: its destination type names the emulator, and each destination value
/// written "${VAR:-http://127.0.0.1:PORT/path}" names a variable that points it at the emulator.
example read_example(const std::string& file) {
  example e{file, {}, {}, {}, {}, {}};
  auto sync = nlohmann::json::parse(read_file(source_dir() + "/examples/" + file), nullptr, true,
                                    /*ignore_comments=*/true);
  e.source_type = sync.at("source").at("type").get<std::string>();
  e.source_emulator = emulator_process::for_source(e.source_type);
  static const std::regex variable(R"(^\$\{([A-Z0-9_]+)(:-[^}]*)?\}$)");
  for (const auto& [key, value] : sync.at("source").items()) {
    std::smatch m;
    if (value.is_string() && std::regex_match(value.get_ref<const std::string&>(), m, variable))
      e.source_variables[key] = m[1];
  }
  const auto& destination = sync.at("destination");
  e.emulator = emulator_process::for_destination(destination.at("type").get<std::string>());
  static const std::regex local(R"(^\$\{([A-Z0-9_]+):-http://127\.0\.0\.1:[0-9]+([^}]*)\}$)");
  for (const auto& [key, value] : destination.items()) {
    std::smatch m;
    if (value.is_string() && std::regex_match(value.get_ref<const std::string&>(), m, local))
      e.endpoints[m[1]] = m[2];
  }
  return e;
}

/// The example warehouse, built from examples/warehouse.sql next to a copy of the sync file.
void build_warehouse(const temp_dir& dir) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(dir.file("warehouse.sqlite").c_str(), &db) == SQLITE_OK);
  auto sql = read_file(source_dir() + "/examples/warehouse.sql");
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}

/// The statements of an SQL file of examples/: comment lines dropped, each ending in ';' at
/// the end of a line.
std::vector<std::string> statements_of(const std::string& file) {
  std::vector<std::string> statements;
  std::string statement;
  std::istringstream lines(read_file(source_dir() + "/examples/" + file));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("--", 0) == 0)
      continue;
    statement += line + "\n";
    if (!line.empty() && line.back() == ';') {
      statements.push_back(statement);
      statement.clear();
    }
  }
  return statements;
}

/// examples/warehouse.sql loaded into a fresh database of the MariaDB test server, with || as
/// concatenation (PIPES_AS_CONCAT); the rest of the file is common SQL.
std::unique_ptr<mariadb_server> build_mariadb_warehouse() {
  auto server = std::make_unique<mariadb_server>();
  server->exec("SET sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT')");
  for (const auto& statement : statements_of("warehouse.sql"))
    server->exec(statement);
  return server;
}

/// examples/warehouse.clickhouse.sql loaded into a fresh database of the ClickHouse test server.
std::unique_ptr<clickhouse_server> build_clickhouse_warehouse() {
  auto server = std::make_unique<clickhouse_server>();
  for (const auto& statement : statements_of("warehouse.clickhouse.sql"))
    server->exec(statement);
  return server;
}

/// examples/warehouse.redshift.sql loaded into a fresh schema of the test PostgreSQL, which the
/// redshift source reads too (tested there only: Redshift is a cloud service).
std::unique_ptr<test_warehouse> build_redshift_warehouse() {
  auto warehouse = open_postgres_warehouse();
  for (const auto& statement : statements_of("warehouse.redshift.sql"))
    warehouse->exec(statement);
  return warehouse;
}

/// What a warehouse emulator needs besides `--database <dir>/warehouse.sqlite`, and the source
/// options (besides `url_option`, its address) that reach it.
struct warehouse_setup {
  std::vector<std::string> flags;
  nlohmann::json options = nlohmann::json::object();
  std::string url_option = "url";  ///< the source option holding the emulator's address
  /// Run once the emulator listens, with its address (e.g. to write a file naming it).
  std::function<void(const std::string& url)> started;
};

/// Snowflake: the user's key pair made by openssl in the example's directory, its public half
/// given to the emulator with the account and user the source signs its JWT as.
warehouse_setup snowflake_setup(const temp_dir& dir) {
  const std::string key = dir.file("snowflake_key.pem");
  const std::string public_key = dir.file("snowflake_key.pub");
  const std::string made = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                           key + " 2>/dev/null && openssl pkey -in " + key + " -pubout -out " +
                           public_key;
  BOOST_REQUIRE_MESSAGE(std::system(made.c_str()) == 0, made);
  return {{"--public-key", public_key, "--account", "my_account", "--user", "backflow"},
          {{"account", "my_account"}, {"user", "backflow"}, {"private_key_file", key}}};
}

/// BigQuery: a service-account key made by openssl in the example's directory, its public half
/// given to the emulator; the key file (written once the emulator listens) names the
/// emulator's /token as its token_uri, where the source exchanges its signed JWT.
warehouse_setup bigquery_setup(const temp_dir& dir) {
  const std::string key = dir.file("bigquery_key.pem");
  const std::string public_key = dir.file("bigquery_key.pub");
  const std::string key_file = dir.file("bigquery_key.json");
  const std::string made = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                           key + " 2>/dev/null && openssl pkey -in " + key + " -pubout -out " +
                           public_key;
  BOOST_REQUIRE_MESSAGE(std::system(made.c_str()) == 0, made);
  warehouse_setup setup{{"--public-key", public_key},
                        {{"credentials_file", key_file}},
                        "endpoint",
                        {}};
  setup.started = [key, key_file](const std::string& url) {
    write_file(key_file, nlohmann::json{{"type", "service_account"},
                                        {"client_email", "backflow@my-project.iam.gserviceaccount.com"},
                                        {"private_key", read_file(key)},
                                        {"token_uri", url + "/token"}}
                             .dump());
  };
  return setup;
}

/// Databricks: the personal access token and warehouse id the example names by default.
warehouse_setup databricks_setup(const temp_dir&) {
  return {{"--token", "dapi-emulator-token", "--warehouse-id", "1234567890abcdef"},
          nlohmann::json::object(),
          "host",
          {}};
}

/// Each emulator standing in for a warehouse (by the registry's `sources`) that needs more than
/// the example's SQLite file, by emulator name. Another one: one function, one line.
const std::map<std::string, std::function<warehouse_setup(const temp_dir&)>>& warehouse_setups() {
  static const std::map<std::string, std::function<warehouse_setup(const temp_dir&)>> setups = {
      {"snowflake", snowflake_setup},
      {"bigquery", bigquery_setup},
      {"databricks", databricks_setup},
  };
  return setups;
}

/// Points each of `wanted` source options of `e` at `values`; fails naming one the example
/// does not read from a variable.
void point_source_at(const example& e, const nlohmann::json& values,
                     const std::vector<std::string>& wanted, cli& backflow) {
  for (const auto& key : wanted) {
    auto variable = e.source_variables.find(key);
    BOOST_REQUIRE_MESSAGE(variable != e.source_variables.end(),
                          e.file << ": source." << key << " is not \"${VAR:-...}\"");
    const auto& value = values.at(key);
    backflow.env[variable->second] = value.is_string() ? value.get<std::string>() : value.dump();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_example_is_found_with_its_emulator_and_endpoint) {
  const auto files = example_files();
  BOOST_TEST(files.size() >= 4u, "examples/ holds " << files.size() << " sync files");
  for (const auto& file : files) {
    auto e = read_example(file);  // throws when no emulator stands in for its destination
    BOOST_TEST(!e.endpoints.empty(),
               file << ": no destination value \"${VAR:-http://127.0.0.1:PORT}\" to point at "
                       "the emulator");
  }
}

BOOST_DATA_TEST_CASE(the_example_runs_against_its_emulator, data::make(example_files()), file) {
  const auto e = read_example(file);
  BOOST_REQUIRE(!e.endpoints.empty());
  temp_dir dir;
  build_warehouse(dir);
  write_file(dir.file(file), read_file(source_dir() + "/examples/" + file));
  // The example dbt project (its artifacts), for the examples that read a dbt model.
  std::filesystem::copy(source_dir() + "/examples/dbt", dir.path() / "dbt",
                        std::filesystem::copy_options::recursive);
  emulator_process emulator(e.emulator);
  cli backflow{dir.file("state"), {}};
  std::unique_ptr<mariadb_server> mariadb;
  std::unique_ptr<clickhouse_server> clickhouse;
  std::unique_ptr<test_warehouse> redshift;
  std::unique_ptr<emulator_process> warehouse;
  if (!e.source_emulator.empty()) {
    warehouse_setup setup;
    if (auto it = warehouse_setups().find(e.source_emulator); it != warehouse_setups().end())
      setup = it->second(dir);
    std::vector<std::string> flags = {"--database", dir.file("warehouse.sqlite")};
    flags.insert(flags.end(), setup.flags.begin(), setup.flags.end());
    warehouse = std::make_unique<emulator_process>(e.source_emulator, flags);
    if (setup.started)
      setup.started(warehouse->url());
    setup.options[setup.url_option] = warehouse->url();
    std::vector<std::string> wanted;
    for (const auto& [key, value] : setup.options.items())
      wanted.push_back(key);
    point_source_at(e, setup.options, wanted, backflow);
  } else if (e.source_type == "mysql") {
    mariadb = build_mariadb_warehouse();
    point_source_at(e, {{"url", mariadb->url()}}, {"url"}, backflow);
  } else if (e.source_type == "clickhouse") {
    clickhouse = build_clickhouse_warehouse();
    point_source_at(e, clickhouse->options(), {"url", "user", "password", "database"}, backflow);
  } else if (e.source_type == "redshift") {
    redshift = build_redshift_warehouse();
    // The test server has no SSL; the redshift type requires it unless the DSN says otherwise.
    auto dsn = redshift->options()["dsn"].get<std::string>() + " sslmode=disable";
    point_source_at(e, {{"dsn", dsn}}, {"dsn"}, backflow);
  }
  for (const auto& [variable, path] : e.endpoints)
    backflow.env[variable] = emulator.url(path);
  auto validate = backflow.run({"validate", dir.file(file)});
  BOOST_REQUIRE_MESSAGE(validate.exit_code == 0, validate.err);
  auto run = backflow.run_sync(dir.file(file));
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0, run.process.out << run.process.err);
  int delivered = run.summary["counts"]["delivered"];
  BOOST_TEST(delivered > 0);
  if (run.summary.contains("writeback"))  // an example writing back: into its warehouse, whole
    BOOST_TEST(run.summary["writeback"]["records"] == delivered, run.summary["writeback"].dump());
  if (warehouse != nullptr)  // the model was read through the warehouse's emulator
    BOOST_TEST(!warehouse->records().empty(), file << ": " << e.source_emulator << " ran nothing");
  // Nothing changed: the second run succeeds and calls nothing (its endpoint, given by an
  // environment variable, is redacted where the state records it, and still the same).
  auto again = backflow.run_sync(dir.file(file));
  BOOST_REQUIRE_MESSAGE(again.process.exit_code == 0, again.process.out << again.process.err);
  BOOST_TEST(again.summary["status"] == "success");
  BOOST_TEST(again.summary["api_calls"] == 0);
  // What was delivered is what the destination holds: a drift check finds nothing, or says the
  // destination cannot read records back (exit 7).
  auto verify = backflow.run({"verify", dir.file(file), "--state", backflow.state_dir, "--json",
                              "--all"});
  auto report = nlohmann::json::parse(verify.out, nullptr, false);
  BOOST_REQUIRE_MESSAGE(verify.exit_code == 0 || verify.exit_code == 7, verify.out << verify.err);
  if (verify.exit_code == 0)
    BOOST_TEST(report["checked"] == delivered, file << ": " << verify.out);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_examples
