// End to end: a sync of a dbt model runs only when its dbt tests and those upstream passed; dbt exposures for syncs.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/dbt_artifacts.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_dbt)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("e2e-dbt-secret");
constexpr int64_t built_at = 1796544000;  // 2026-12-06T08:00:00Z: the fixture's build

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};

  fixture() {
    model->insert(1, 41);
    // The fixture project's model `pql` is the contacts table of the test warehouse.
    write_dbt_target(dir.path() / "shop", dbt_manifest("v12", "\"main\".\"" + model->table() + "\""),
                     dbt_run_results("v6"));
  }
  void results(const std::map<std::string, std::string>& statuses) {
    write_dbt_target(dir.path() / "shop",
                     dbt_manifest("v12", "\"main\".\"" + model->table() + "\""),
                     dbt_run_results("v6", statuses));
  }
  /// The backflow binary with the clock `seconds_after_build` past the fixture's dbt build.
  cli backflow_at(int64_t seconds_after_build = 600) {
    return cli{dir.file("state"),
               {{"BACKFLOW_FAKE_NOW", std::to_string(built_at + seconds_after_build)}}};
  }
  std::string sync_file(const json& dbt_patch = json::object(), const std::string& name = "sync.json") {
    auto doc = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
    doc["source"].erase("query");  // the query comes from the model's relation
    json dbt = {{"project_dir", "shop"}, {"model", "pql"}};
    dbt.merge_patch(dbt_patch);
    doc["source"]["dbt"] = dbt;
    doc["owner"] = {{"name", "Growth analytics"}, {"email", "growth@example.com"}};
    return write_sync(dir, doc, name);
  }
  uint64_t webhook_requests() { return webhook.requests()["count"].get<uint64_t>(); }
};

std::string error_of(const cli::run_result& r) {
  return r.summary.is_object() ? r.summary.value("error", "") : std::string();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(passing_tests_open_the_gate_and_the_model_is_read_from_its_relation,
                        fixture) {
  auto run = backflow_at().run_sync(sync_file());
  BOOST_TEST_MESSAGE(run.process.out << run.process.err);
  BOOST_TEST(run.process.exit_code == 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == 40);
  BOOST_TEST(run.summary["dbt_gate"]["open"] == true);
  BOOST_TEST(run.summary["dbt_gate"]["tests_checked"] == 7);
}

BOOST_FIXTURE_TEST_CASE(a_failed_test_upstream_aborts_before_anything_is_read_or_sent, fixture) {
  auto file = sync_file();
  BOOST_REQUIRE(backflow_at().run_sync(file).process.exit_code == 0);
  auto before = webhook_requests();
  model->bump_scores({1, 2, 3}, 1);  // something to send, if the gate let it
  results({{"unique_stg_users_id", "fail"}});
  auto run = backflow_at().run_sync(file);
  BOOST_TEST(run.process.exit_code == 3, run.process.out << run.process.err);
  BOOST_TEST(run.summary["status"] == "aborted");
  auto error = error_of(run);
  BOOST_TEST(error.find(dbt_test_id("unique_stg_users_id")) != std::string::npos, error);
  BOOST_TEST(error.find("model.shop.stg_users") != std::string::npos, error);
  BOOST_TEST(error.find("3 failing rows") != std::string::npos, error);
  BOOST_TEST(run.summary["counts"]["extracted"] == 0);
  BOOST_TEST(webhook_requests() == before);
  // `plan` shows the same verdict, and sends nothing either.
  auto plan = backflow_at().run({"plan", file, "--state", dir.file("state"), "--json"});
  BOOST_TEST(plan.exit_code == 3, plan.out << plan.err);
  BOOST_TEST(plan.out.find("\"open\":false") != std::string::npos, plan.out);
  // dbt is fixed and rebuilt: the next run sends the three changes.
  results({});
  auto fixed = backflow_at().run_sync(file);
  BOOST_TEST(fixed.process.exit_code == 0, fixed.process.out << fixed.process.err);
  BOOST_TEST(fixed.summary["counts"]["delivered"] == 3);
}

BOOST_FIXTURE_TEST_CASE(warnings_and_age_follow_the_sync_file, fixture) {
  results({{"accepted_values_pql_health_tier", "warn"}});
  BOOST_TEST(backflow_at().run_sync(sync_file()).process.exit_code == 0);
  auto blocked = backflow_at().run_sync(sync_file({{"warn", "block"}}, "block.json"));
  BOOST_TEST(blocked.process.exit_code == 3);
  BOOST_TEST(error_of(blocked).find("warn: \"block\"") != std::string::npos, error_of(blocked));
  results({});
  auto aged = sync_file({{"max_age", "1h"}}, "aged.json");
  BOOST_TEST(backflow_at(1800).run_sync(aged).process.exit_code == 0);
  auto stale = backflow_at(2 * 3600).run_sync(aged);
  BOOST_TEST(stale.process.exit_code == 3);
  BOOST_TEST(error_of(stale).find("older than max_age 1h") != std::string::npos, error_of(stale));
}

BOOST_FIXTURE_TEST_CASE(validate_names_a_model_a_sync_cannot_read, fixture) {
  for (const auto& [model_name, expected] :
       std::vector<std::pair<std::string, std::string>>{{"eph", "is ephemeral"},
                                                        {"old", "is disabled"},
                                                        {"pqls", "no model \"pqls\""}}) {
    auto v = backflow_at().run({"validate", sync_file({{"model", model_name}}, model_name + ".json")});
    BOOST_TEST(v.exit_code == 2);
    BOOST_TEST(v.err.find("source.dbt.model") != std::string::npos, v.err);
    BOOST_TEST(v.err.find(expected) != std::string::npos, v.err);
  }
}

BOOST_FIXTURE_TEST_CASE(exposures_list_every_sync_of_a_dbt_model, fixture) {
  std::filesystem::create_directories(dir.path() / "syncs");
  sync_file({{"project_dir", "../shop"}}, "syncs/pql-to-webhook.json");
  // A sync that is not of a dbt model is not an exposure.
  write_sync(dir, webhook_sync(*model, webhook.url("/hooks/backflow"), secret), "syncs/plain.json");
  auto out = backflow_at().run({"dbt", "exposures", "--syncs", dir.file("syncs")});
  BOOST_TEST(out.exit_code == 0, out.err);
  BOOST_TEST(out.out.find("version: 2\n\nexposures:\n") != std::string::npos, out.out);
  BOOST_TEST(out.out.find("      - ref(\"pql\")\n") != std::string::npos, out.out);
  BOOST_TEST(out.out.find("      name: \"Growth analytics\"\n") != std::string::npos, out.out);
  BOOST_TEST(out.out.find("      email: \"growth@example.com\"\n") != std::string::npos, out.out);
  BOOST_TEST(out.out.find("    type: application\n") != std::string::npos, out.out);
  size_t exposures = 0;
  for (size_t at = out.out.find("  - name: "); at != std::string::npos;
       at = out.out.find("  - name: ", at + 1))
    ++exposures;
  BOOST_TEST(exposures == 1u, out.out);
  // --out writes the file.
  auto file = dir.file("exposures.yml");
  BOOST_TEST(backflow_at().run({"dbt", "exposures", "--syncs", dir.file("syncs"), "--out", file})
                 .exit_code == 0);
  BOOST_TEST(read_file(file) == out.out);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_dbt
