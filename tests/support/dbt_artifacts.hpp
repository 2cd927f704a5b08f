// Test fixtures: a small dbt project's manifest.json and run_results.json in the shapes dbt 1.4 to 1.8 write.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace backflow::testing {

/// The fixture project "shop" (adapter sqlite, schema "main"):
///   seed.shop.raw_users → model.shop.stg_users → model.shop.pql ← source.shop.app.events
///   model.shop.unrelated (no link to pql); model.shop.eph (ephemeral); model.shop.old (disabled)
/// Tests (unique ids "test.shop.NAME.<hash>"):
///   not_null_pql_email (pql), unique_pql_email (pql), accepted_values_pql_health_tier (pql,
///   severity warn), unique_stg_users_id (stg_users), not_null_raw_users_id (the seed),
///   source_not_null_app_events_id (the source), relationships_pql_account_id__unrelated (pql and
///   unrelated), not_null_unrelated_id (unrelated only).
/// Manifest schema versions: "v9" (dbt 1.5: no attached_node, no parent_map, as a partial
/// manifest may be), "v10", "v11", "v12" (dbt 1.6 to 1.8). `relation` overrides pql's
/// relation_name ("" leaves it out: the relation is built from database/schema/alias).
nlohmann::json dbt_manifest(const std::string& version, const std::string& relation = "\"main\".\"pql\"");

/// The unique id of the fixture's test `name`.
std::string dbt_test_id(const std::string& name);

/// run_results.json of schema `version` ("v4", "v5", "v6") where every node of the fixture ran
/// and passed, except those in `statuses` (unique id or test name → status: "fail", "error",
/// "warn", "skipped", "success", ...; "absent" leaves the node out). Nodes finished at
/// `completed_at` (ISO-8601).
nlohmann::json dbt_run_results(const std::string& version,
                               const std::map<std::string, std::string>& statuses = {},
                               const std::string& completed_at = "2026-12-06T08:00:00.000000Z");

/// Writes both into `project_dir`/target.
void write_dbt_target(const std::filesystem::path& project_dir, const nlohmann::json& manifest,
                      const nlohmann::json& run_results);

}  // namespace backflow::testing
