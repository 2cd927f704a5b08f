// dbt models as sources and the dbt gate: manifests v9-v12 and run results v4-v6, one case per gating rule.
#include <boost/test/unit_test.hpp>

#include "pipelines/dbt/dbt_gate.hpp"
#include "pipelines/sync/dbt_check.hpp"
#include "tests/support/dbt_artifacts.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using backflow::testing::dbt_manifest;
using backflow::testing::dbt_run_results;
using backflow::testing::dbt_test_id;
using nlohmann::json;

namespace {

const auto now = *dbt::run_results::parse(dbt_run_results("v6"))->generated_at +
                 std::chrono::minutes(30);  // half an hour after the fixture's build

dbt::gate_verdict judge_with(const std::string& manifest_version,
                             const std::string& results_version,
                             const std::map<std::string, std::string>& statuses,
                             dbt::gate_policy policy = {}) {
  auto m = dbt::manifest::parse(dbt_manifest(manifest_version));
  BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().message));
  auto model = m->model("pql");
  BOOST_REQUIRE(model.ok());
  auto r = dbt::run_results::parse(dbt_run_results(results_version, statuses));
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return dbt::judge(*m, *model, *r, policy, now);
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos)
      return true;
  return false;
}

/// Every pairing of the manifest and run-results versions dbt 1.4 to 1.8 write.
const std::vector<std::pair<std::string, std::string>> versions = {
    {"v9", "v4"}, {"v9", "v5"}, {"v10", "v5"}, {"v11", "v5"}, {"v12", "v6"}};

config_result parse_dbt_sync(const std::filesystem::path& project, const json& dbt,
                             bool with_query = false) {
  auto doc = hubspot_sync_json();
  doc["source"] = {{"type", "sqlite"}, {"path", (project / "w.db").string()}, {"key", "email"},
                   {"dbt", dbt}};
  if (with_query)
    doc["source"]["query"] = "SELECT email FROM somewhere_else";
  return parse_sync_config(doc.dump(), project, test_env());
}

std::string errors_of(const config_result& r) {
  std::string out;
  for (const auto& e : r.errors.items())
    out += e + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dbt_gate)

BOOST_AUTO_TEST_CASE(all_passing_opens_the_gate_in_every_artifact_version) {
  for (const auto& [mv, rv] : versions) {
    auto v = judge_with(mv, rv, {});
    BOOST_TEST_CONTEXT(mv << " + " << rv) {
      BOOST_TEST(v.open);
      BOOST_TEST(v.blocking.empty());
      // pql, stg_users, raw_users, the source: the tests on them, not the one on `unrelated`
      // alone; the relationships test touches pql, so it counts.
      BOOST_TEST(v.nodes_checked == 4u);
      BOOST_TEST(v.tests_checked == 7u);
      BOOST_TEST(v.built_at == "2026-12-06T08:00:00Z");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_failing_or_erroring_test_on_the_model_closes_it) {
  for (const auto& [mv, rv] : versions) {
    BOOST_TEST_CONTEXT(mv << " + " << rv) {
      auto failed = judge_with(mv, rv, {{"not_null_pql_email", "fail"}});
      BOOST_TEST(!failed.open);
      BOOST_TEST(failed.blocking.size() == 1u);
      BOOST_TEST(mentions(failed.blocking, dbt_test_id("not_null_pql_email")));
      BOOST_TEST(mentions(failed.blocking, "3 failing rows"));
      auto errored = judge_with(mv, rv, {{"unique_pql_email", "error"}});
      BOOST_TEST(!errored.open);
      BOOST_TEST(mentions(errored.blocking, "no such column"));
    }
  }
}

BOOST_AUTO_TEST_CASE(tests_upstream_close_it_too_seed_model_and_source) {
  for (const auto& upstream :
       {"unique_stg_users_id", "not_null_raw_users_id", "source_not_null_app_events_id"}) {
    auto v = judge_with("v12", "v6", {{upstream, "fail"}});
    BOOST_TEST_CONTEXT(upstream) {
      BOOST_TEST(!v.open);
      BOOST_TEST(mentions(v.blocking, dbt_test_id(upstream)));
    }
  }
  // Found through depends_on when the manifest has no parent_map (v9 fixture).
  BOOST_TEST(!judge_with("v9", "v4", {{"not_null_raw_users_id", "fail"}}).open);
}

BOOST_AUTO_TEST_CASE(a_test_on_an_unrelated_model_does_not) {
  auto v = judge_with("v12", "v6", {{"not_null_unrelated_id", "fail"}});
  BOOST_TEST(v.open);
  // A relationships test between pql and the unrelated model is on pql as well.
  BOOST_TEST(!judge_with("v12", "v6", {{"relationships_pql_account_id__unrelated", "fail"}}).open);
}

BOOST_AUTO_TEST_CASE(warnings_pass_unless_the_sync_blocks_them) {
  auto allowed = judge_with("v11", "v5", {{"accepted_values_pql_health_tier", "warn"}});
  BOOST_TEST(allowed.open);
  BOOST_TEST(mentions(allowed.notes, "warned (allowed)"));
  dbt::gate_policy block;
  block.block_on_warn = true;
  auto blocked = judge_with("v11", "v5", {{"accepted_values_pql_health_tier", "warn"}}, block);
  BOOST_TEST(!blocked.open);
  BOOST_TEST(mentions(blocked.blocking, "warn: \"block\""));
}

BOOST_AUTO_TEST_CASE(a_model_upstream_that_failed_to_build_closes_it) {
  auto v = judge_with("v12", "v6",
                      {{"model.shop.stg_users", "error"}, {"unique_stg_users_id", "skipped"}});
  BOOST_TEST(!v.open);
  BOOST_TEST(mentions(v.blocking, "model.shop.stg_users failed to build"));
  BOOST_TEST(mentions(v.notes, "not in the latest results"));
}

BOOST_AUTO_TEST_CASE(skipped_and_absent_tests_are_noted_not_blocking) {
  auto v = judge_with("v10", "v5",
                      {{"unique_pql_email", "skipped"}, {"not_null_pql_email", "absent"}});
  BOOST_TEST(v.open);
  BOOST_TEST(mentions(v.notes, "2 of 7 tests"));
}

BOOST_AUTO_TEST_CASE(max_age_needs_a_recent_successful_build_of_the_model) {
  dbt::gate_policy policy;
  policy.max_age = std::chrono::hours(1);
  BOOST_TEST(judge_with("v12", "v6", {}, policy).open);  // built 30 minutes ago
  policy.max_age = std::chrono::minutes(10);
  auto old = judge_with("v12", "v6", {}, policy);
  BOOST_TEST(!old.open);
  BOOST_TEST(mentions(old.blocking, "older than max_age 10m"));
  // A results file from `dbt test` alone: the model was not built in it.
  policy.max_age = std::chrono::hours(1);
  auto unbuilt = judge_with("v12", "v6", {{"model.shop.pql", "absent"}}, policy);
  BOOST_TEST(!unbuilt.open);
  BOOST_TEST(mentions(unbuilt.blocking, "not built in the latest dbt results"));
  // Without max_age the same results pass.
  BOOST_TEST(judge_with("v12", "v6", {{"model.shop.pql", "absent"}}).open);
}

BOOST_AUTO_TEST_CASE(models_a_sync_cannot_read_are_named) {
  auto m = dbt::manifest::parse(dbt_manifest("v12"));
  BOOST_REQUIRE(m.ok());
  auto missing = m->model("pqls");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message.find("no model \"pqls\"") != std::string::npos);
  BOOST_TEST(missing.error().message.find("similar models: pql") != std::string::npos);
  auto disabled = m->model("old");
  BOOST_REQUIRE(!disabled.ok());
  BOOST_TEST(disabled.error().message.find("disabled") != std::string::npos);
  auto ephemeral = m->model("eph");
  BOOST_REQUIRE(!ephemeral.ok());
  BOOST_TEST(ephemeral.error().message.find("ephemeral") != std::string::npos);
  auto by_id = m->model("model.shop.pql");
  BOOST_REQUIRE(by_id.ok());
  BOOST_TEST(by_id->columns.size() == 5u);
  BOOST_TEST(!m->model(dbt_test_id("unique_pql_email")).ok());  // a test, not a model
}

BOOST_AUTO_TEST_CASE(not_dbt_artifacts_are_errors_not_crashes) {
  BOOST_TEST(!dbt::manifest::parse(json::object()).ok());
  BOOST_TEST(!dbt::manifest::parse({{"nodes", json::array()}}).ok());
  BOOST_TEST(!dbt::run_results::parse({{"results", {{{"status", "pass"}}}}}).ok());
  BOOST_TEST(!dbt::run_results::parse({{"results", "x"}}).ok());
}

BOOST_AUTO_TEST_CASE(the_sync_file_reads_the_model_from_the_manifest) {
  backflow::testing::temp_dir dir;
  backflow::testing::write_dbt_target(dir.path(), dbt_manifest("v12"), dbt_run_results("v6"));
  auto r = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "pql"},
                                        {"max_age", "6h"}, {"warn", "block"}});
  BOOST_REQUIRE_MESSAGE(r.config.has_value(), errors_of(r));
  BOOST_TEST(r.config->source.query == "SELECT * FROM \"main\".\"pql\"");
  BOOST_REQUIRE(r.config->dbt.has_value());
  BOOST_TEST(r.config->dbt->unique_id == "model.shop.pql");
  BOOST_TEST(r.config->dbt->policy.block_on_warn);
  BOOST_TEST(r.config->dbt->policy.max_age->count() == 6 * 3600 * 1000);
  // A query given with dbt is kept (the model is still the gate's subject).
  auto q = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "pql"}}, true);
  BOOST_REQUIRE(q.config.has_value());
  BOOST_TEST(q.config->source.query == "SELECT email FROM somewhere_else");
  // Without relation_name: database.schema.alias, quoted.
  backflow::testing::write_dbt_target(dir.path(), dbt_manifest("v9", ""), dbt_run_results("v4"));
  auto built = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "pql"}});
  BOOST_REQUIRE(built.config.has_value());
  BOOST_TEST(built.config->source.query == "SELECT * FROM \"main\".\"main\".\"pql\"");
}

BOOST_AUTO_TEST_CASE(bad_dbt_settings_are_named_with_their_key_path) {
  backflow::testing::temp_dir dir;
  backflow::testing::write_dbt_target(dir.path(), dbt_manifest("v12"), dbt_run_results("v6"));
  auto eph = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "eph"}});
  BOOST_TEST(!eph.config.has_value());
  BOOST_TEST(errors_of(eph).find("source.dbt.model: model \"eph\" is ephemeral") !=
             std::string::npos);
  auto nowhere = parse_dbt_sync(dir.path(), {{"project_dir", "no-such-dir"}, {"model", "pql"}});
  BOOST_TEST(errors_of(nowhere).find("source.dbt.project_dir: cannot read") != std::string::npos);
  auto unknown = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "pql"},
                                             {"warn", "maybe"}, {"colour", 1}});
  BOOST_TEST(errors_of(unknown).find("source.dbt.warn") != std::string::npos);
  BOOST_TEST(errors_of(unknown).find("source.dbt.colour") != std::string::npos);
  auto no_model = parse_dbt_sync(dir.path(), {{"project_dir", "."}});
  BOOST_TEST(errors_of(no_model).find("source.dbt.model: is required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_run_reads_the_artifacts_anew) {
  backflow::testing::temp_dir dir;
  backflow::testing::write_dbt_target(dir.path(), dbt_manifest("v12"), dbt_run_results("v6"));
  auto r = parse_dbt_sync(dir.path(), {{"project_dir", "."}, {"model", "pql"}});
  BOOST_REQUIRE(r.config.has_value());
  BOOST_TEST(judge_dbt_model(*r.config->dbt, now).open);
  // dbt ran again after the sync file was read, and a test failed.
  backflow::testing::write_dbt_target(dir.path(), dbt_manifest("v12"),
                                   dbt_run_results("v6", {{"unique_pql_email", "fail"}}));
  BOOST_TEST(!judge_dbt_model(*r.config->dbt, now).open);
  std::filesystem::remove(dir.path() / "target" / "run_results.json");
  auto gone = judge_dbt_model(*r.config->dbt, now);
  BOOST_TEST(!gone.open);
  BOOST_TEST(mentions(gone.blocking, "run_results.json"));
}

BOOST_AUTO_TEST_SUITE_END()
