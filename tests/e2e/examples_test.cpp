// End to end: every sync file in examples/ runs against its emulator on the example warehouse.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include <sqlite3.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_examples)

using namespace backflow::testing;
namespace data = boost::unit_test::data;

namespace {

/// An example, the emulator it runs against, and the variable that points it there.
struct example {
  std::string file;
  std::string emulator;
  std::string endpoint_variable;
  std::string endpoint_path;
};

const std::vector<example>& examples() {
  static const std::vector<example> all = {
    {"pql_to_hubspot.json", "hubspot", "HUBSPOT_ENDPOINT", ""},
    {"pql_to_webhook.json", "webhook", "WEBHOOK_URL", "/hooks/backflow"},
    {"pql_to_salesforce.json", "salesforce", "SALESFORCE_INSTANCE_URL", ""},
    {"pql_to_meta_audience.json", "meta", "META_ENDPOINT", ""},
  };
  return all;
}

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& e : examples())
    files.push_back(e.file);
  return files;
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

}  // namespace

BOOST_AUTO_TEST_CASE(every_example_has_a_test) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/examples"))
    files += entry.path().extension() == ".json";
  BOOST_TEST(files == examples().size());
}

BOOST_DATA_TEST_CASE(the_example_runs_against_its_emulator, data::make(example_files()), file) {
  const example* e = nullptr;
  for (const auto& candidate : examples())
    if (candidate.file == file)
      e = &candidate;
  BOOST_REQUIRE(e != nullptr);
  temp_dir dir;
  build_warehouse(dir);
  write_file(dir.file(file), read_file(source_dir() + "/examples/" + file));
  emulator_process emulator(e->emulator);
  cli backflow{dir.file("state"), {{e->endpoint_variable, emulator.url(e->endpoint_path)}}};
  auto validate = backflow.run({"validate", dir.file(file)});
  BOOST_REQUIRE_MESSAGE(validate.exit_code == 0, validate.err);
  auto run = backflow.run_sync(dir.file(file));
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0, run.process.out << run.process.err);
  int delivered = run.summary["counts"]["delivered"];
  BOOST_TEST(delivered > 0);
  auto again = backflow.run_sync(dir.file(file));
  BOOST_TEST(again.summary["api_calls"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_examples
