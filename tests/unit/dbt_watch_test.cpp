// serve's dbt watch: a new run_results.json triggers the syncs whose model it built, and only those.
#include <boost/test/unit_test.hpp>

#include <thread>

#include "pipelines/serve/dbt_watch.hpp"
#include "tests/support/dbt_artifacts.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::testing;

namespace {

std::shared_ptr<const sync_config> dbt_sync(const std::filesystem::path& project,
                                            const std::string& unique_id) {
  auto cfg = std::make_shared<sync_config>();
  dbt_model_config d;
  d.project_dir = project;
  d.target_dir = project / "target";
  d.unique_id = unique_id;
  cfg->dbt = d;
  return cfg;
}

/// A new run_results.json: another invocation, with `statuses` as dbt_run_results takes them.
void dbt_ran(const std::filesystem::path& project, const std::string& invocation,
             const std::map<std::string, std::string>& statuses = {}) {
  auto results = dbt_run_results("v6", statuses);
  results["metadata"]["invocation_id"] = invocation;
  // mtime granularity: a rewrite within the same tick must still be seen by its size or id
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  write_dbt_target(project, dbt_manifest("v12"), results);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dbt_watch_tests)

BOOST_AUTO_TEST_CASE(a_new_dbt_run_triggers_the_syncs_of_the_models_it_built) {
  temp_dir dir;
  auto project = dir.path() / "shop";
  dbt_ran(project, "first");
  std::map<std::string, std::shared_ptr<const sync_config>> syncs = {
      {"pql_sync", dbt_sync(project, "model.shop.pql")},
      {"unrelated_sync", dbt_sync(project, "model.shop.unrelated")},
      {"plain", std::make_shared<sync_config>()}};
  dbt_watch watch;
  BOOST_TEST(watch.poll(syncs).empty());  // the first look only remembers
  BOOST_TEST(watch.poll(syncs).empty());  // nothing new
  dbt_ran(project, "second", {{"model.shop.unrelated", "absent"}});  // `dbt build -s pql+`
  BOOST_TEST(watch.poll(syncs) == std::vector<std::string>{"pql_sync"});
  BOOST_TEST(watch.poll(syncs).empty());
  dbt_ran(project, "third", {{"model.shop.pql", "error"}});  // pql failed: not built
  BOOST_TEST(watch.poll(syncs) == std::vector<std::string>{"unrelated_sync"});
  dbt_ran(project, "fourth");
  BOOST_TEST((watch.poll(syncs) == std::vector<std::string>{"pql_sync", "unrelated_sync"}));
}

BOOST_AUTO_TEST_CASE(missing_or_half_written_results_trigger_nothing) {
  temp_dir dir;
  auto project = dir.path() / "shop";
  std::map<std::string, std::shared_ptr<const sync_config>> syncs = {
      {"pql_sync", dbt_sync(project, "model.shop.pql")}};
  dbt_watch watch;
  BOOST_TEST(watch.poll(syncs).empty());  // no target/ yet
  dbt_ran(project, "first");
  BOOST_TEST(watch.poll(syncs).empty());
  write_file((project / "target" / "run_results.json").string(), "{\"metadata\": {\"invoc");
  BOOST_TEST(watch.poll(syncs).empty());
  dbt_ran(project, "second");
  BOOST_TEST(watch.poll(syncs) == std::vector<std::string>{"pql_sync"});
}

BOOST_AUTO_TEST_SUITE_END()
