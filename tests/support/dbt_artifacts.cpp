// Test fixtures in dbt's artifact shapes (see dbt_artifacts.hpp).
#include "tests/support/dbt_artifacts.hpp"

#include <fstream>
#include <stdexcept>

namespace backflow::testing {
namespace {

using json = nlohmann::json;

const std::map<std::string, std::string>& dbt_versions() {
  static const std::map<std::string, std::string> v = {
    {"v9", "1.5.11"}, {"v10", "1.6.17"}, {"v11", "1.7.18"}, {"v12", "1.8.8"},
    {"v4", "1.4.9"},  {"v5", "1.7.18"},  {"v6", "1.8.8"}};
  return v;
}

int number_of(const std::string& version) { return std::stoi(version.substr(1)); }

json metadata(const std::string& kind, const std::string& version) {
  return {{"dbt_schema_version", "https://schemas.getdbt.com/dbt/" + kind + "/" + version + ".json"},
          {"dbt_version", dbt_versions().at(version)},
          {"generated_at", "2026-12-06T08:00:05.123456Z"},
          {"invocation_id", "4f7c3a1e-2b8d-4c6e-9a0f-1d2e3f4a5b6c"},
          {"env", json::object()}};
}

json columns(std::initializer_list<const char*> names) {
  json out = json::object();
  for (const char* n : names)
    out[n] = {{"name", n}, {"description", ""}, {"meta", json::object()}, {"data_type", nullptr},
              {"constraints", json::array()}, {"quote", nullptr}, {"tags", json::array()}};
  return out;
}

/// What every node of the manifest has, by schema version.
json node_common(int v, const std::string& type, const std::string& name,
                 const std::string& unique_id, const std::string& path) {
  json n = {{"database", "main"},
            {"schema", "main"},
            {"name", name},
            {"resource_type", type},
            {"package_name", "shop"},
            {"path", path},
            {"original_file_path", (type == "seed" ? "seeds/" : "models/") + path},
            {"unique_id", unique_id},
            {"fqn", json::array({"shop", name})},
            {"alias", name},
            {"checksum", {{"name", "sha256"}, {"checksum", "0e5f"}}},
            {"tags", json::array()},
            {"description", ""},
            {"meta", json::object()},
            {"docs", {{"show", true}, {"node_color", nullptr}}},
            {"patch_path", nullptr},
            {"build_path", nullptr},
            {"unrendered_config", json::object()},
            {"created_at", 1765008000.5},
            {"group", nullptr}};
  if (v >= 10)
    n["contract"] = {{"enforced", false}, {"checksum", nullptr}};
  if (v >= 11)
    n["contract"]["alias_types"] = true;
  return n;
}

json model(int v, const std::string& name, const std::vector<std::string>& parents,
           const std::string& materialized, const json& cols, const std::string& relation) {
  auto n = node_common(v, "model", name, "model.shop." + name, name + ".sql");
  n["config"] = {{"enabled", true},   {"alias", nullptr},       {"schema", nullptr},
                 {"database", nullptr}, {"tags", json::array()}, {"meta", json::object()},
                 {"materialized", materialized}, {"incremental_strategy", nullptr},
                 {"persist_docs", json::object()}, {"quoting", json::object()},
                 {"column_types", json::object()}, {"full_refresh", nullptr},
                 {"unique_key", nullptr}, {"on_schema_change", "ignore"},
                 {"grants", json::object()}, {"packages", json::array()},
                 {"docs", {{"show", true}, {"node_color", nullptr}}},
                 {"contract", {{"enforced", false}}}, {"access", "protected"}};
  n["columns"] = cols;
  n["relation_name"] = materialized == "ephemeral" ? json(nullptr) : json(relation);
  n["raw_code"] = "select * from {{ ref('stg_users') }}";
  n["language"] = "sql";
  n["refs"] = json::array();
  n["sources"] = json::array();
  n["metrics"] = json::array();
  n["depends_on"] = {{"macros", json::array()}, {"nodes", parents}};
  n["compiled_path"] = "target/compiled/shop/models/" + name + ".sql";
  n["access"] = "protected";
  n["constraints"] = json::array();
  n["version"] = nullptr;
  n["latest_version"] = nullptr;
  if (v >= 10)
    n["deprecation_date"] = nullptr;
  return n;
}

json test(int v, const std::string& name, const std::string& generic,
          const std::vector<std::string>& tested, const std::string& severity) {
  auto id = dbt_test_id(name);
  auto n = node_common(v, "test", name, id, name + ".sql");
  n["schema"] = "main_dbt_test__audit";
  n["test_metadata"] = {{"name", generic},
                        {"kwargs", {{"column_name", "id"},
                                    {"model", "{{ get_where_subquery(ref('x')) }}"}}},
                        {"namespace", nullptr}};
  n["config"] = {{"enabled", true},  {"alias", nullptr},      {"schema", "dbt_test__audit"},
                 {"database", nullptr}, {"tags", json::array()}, {"meta", json::object()},
                 {"group", nullptr}, {"materialized", "test"}, {"severity", severity},
                 {"store_failures", nullptr}, {"where", nullptr}, {"limit", nullptr},
                 {"fail_calc", "count(*)"}, {"warn_if", "!= 0"}, {"error_if", "!= 0"}};
  if (v >= 10)
    n["config"]["store_failures_as"] = nullptr;
  n["columns"] = json::object();
  n["relation_name"] = nullptr;
  n["raw_code"] = "{{ test_" + generic + "(**_dbt_generic_test_kwargs) }}";
  n["language"] = "sql";
  n["refs"] = json::array();
  n["sources"] = json::array();
  n["metrics"] = json::array();
  n["depends_on"] = {{"macros", json::array({"macro.dbt.test_" + generic})}, {"nodes", tested}};
  n["compiled_path"] = nullptr;
  n["column_name"] = "id";
  n["file_key_name"] = "models." + name;
  // attached_node: the node a generic test is defined on (absent in the v9 fixture, whose
  // tests the reader must place by depends_on).
  if (v >= 10)
    n["attached_node"] = tested.front();
  return n;
}

struct test_def {
  const char* name;
  const char* generic;
  std::vector<std::string> tested;
  const char* severity;
};

const std::vector<test_def>& test_defs() {
  static const std::vector<test_def> defs = {
    {"not_null_pql_email", "not_null", {"model.shop.pql"}, "ERROR"},
    {"unique_pql_email", "unique", {"model.shop.pql"}, "ERROR"},
    {"accepted_values_pql_health_tier", "accepted_values", {"model.shop.pql"}, "warn"},
    {"unique_stg_users_id", "unique", {"model.shop.stg_users"}, "ERROR"},
    {"not_null_raw_users_id", "not_null", {"seed.shop.raw_users"}, "ERROR"},
    {"source_not_null_app_events_id", "not_null", {"source.shop.app.events"}, "ERROR"},
    {"relationships_pql_account_id__unrelated", "relationships",
     {"model.shop.pql", "model.shop.unrelated"}, "ERROR"},
    {"not_null_unrelated_id", "not_null", {"model.shop.unrelated"}, "ERROR"},
  };
  return defs;
}

/// Every node that runs in `dbt build`, in dbt's order.
std::vector<std::string> built_nodes() {
  std::vector<std::string> out = {"seed.shop.raw_users", "model.shop.stg_users",
                                  "model.shop.unrelated", "model.shop.pql"};
  for (const auto& t : test_defs())
    out.push_back(dbt_test_id(t.name));
  return out;
}

}  // namespace

std::string dbt_test_id(const std::string& name) {
  // dbt appends a 10-hex-digit hash of the test's arguments to generic tests' ids.
  size_t h = std::hash<std::string>{}(name);
  char hex[11];
  std::snprintf(hex, sizeof hex, "%010zx", h & 0xffffffffffULL);
  return "test.shop." + name + "." + hex;
}

json dbt_manifest(const std::string& version, const std::string& relation) {
  int v = number_of(version);
  json nodes = json::object();
  auto seed = node_common(v, "seed", "raw_users", "seed.shop.raw_users", "raw_users.csv");
  seed["config"] = {{"enabled", true}, {"materialized", "seed"}, {"delimiter", ","}};
  seed["columns"] = json::object();
  seed["relation_name"] = "\"main\".\"raw_users\"";
  seed["root_path"] = "/work/shop";
  seed["depends_on"] = {{"macros", json::array()}};
  nodes["seed.shop.raw_users"] = seed;
  nodes["model.shop.stg_users"] = model(v, "stg_users", {"seed.shop.raw_users"}, "view",
                                        columns({"id", "email"}), "\"main\".\"stg_users\"");
  nodes["model.shop.pql"] =
      model(v, "pql", {"model.shop.stg_users", "source.shop.app.events"}, "table",
            columns({"email", "first_name", "pql_score", "health_tier", "is_customer"}), relation);
  if (relation.empty())
    nodes["model.shop.pql"].erase("relation_name");
  nodes["model.shop.unrelated"] =
      model(v, "unrelated", {}, "table", json::object(), "\"main\".\"unrelated\"");
  nodes["model.shop.eph"] = model(v, "eph", {"model.shop.stg_users"}, "ephemeral",
                                  json::object(), "");
  for (const auto& t : test_defs())
    nodes[dbt_test_id(t.name)] = test(v, t.name, t.generic, t.tested, t.severity);

  json sources = {{"source.shop.app.events",
                   {{"database", "main"}, {"schema", "main"}, {"name", "events"},
                    {"resource_type", "source"}, {"package_name", "shop"},
                    {"unique_id", "source.shop.app.events"}, {"source_name", "app"},
                    {"identifier", "events"}, {"relation_name", "\"main\".\"events\""},
                    {"columns", json::object()}, {"config", {{"enabled", true}}}}}};
  auto disabled_model = model(v, "old", {}, "table", json::object(), "\"main\".\"old\"");
  disabled_model["config"]["enabled"] = false;

  json doc = {{"metadata", metadata("manifest", version)},
              {"nodes", nodes},
              {"sources", sources},
              {"macros", json::object()},
              {"docs", json::object()},
              {"exposures", json::object()},
              {"metrics", json::object()},
              {"groups", json::object()},
              {"selectors", json::object()},
              {"disabled", {{"model.shop.old", json::array({disabled_model})}}}};
  doc["metadata"]["project_name"] = "shop";
  doc["metadata"]["adapter_type"] = "sqlite";
  if (v >= 10) {
    json parents = json::object();
    json children = json::object();
    for (const auto& [id, node] : nodes.items()) {
      parents[id] = node["depends_on"].value("nodes", json::array());
      for (const auto& p : parents[id])
        children[p.get<std::string>()].push_back(id);
    }
    parents["source.shop.app.events"] = json::array();
    doc["parent_map"] = parents;
    doc["child_map"] = children;
    doc["group_map"] = json::object();
    doc["semantic_models"] = json::object();
  }
  if (v >= 11)
    doc["saved_queries"] = json::object();
  if (v >= 12)
    doc["unit_tests"] = json::object();
  return doc;
}

json dbt_run_results(const std::string& version, const std::map<std::string, std::string>& statuses,
                     const std::string& completed_at) {
  int v = number_of(version);
  json results = json::array();
  for (const auto& id : built_nodes()) {
    bool is_test = id.rfind("test.", 0) == 0;
    std::string status = is_test ? "pass" : "success";
    for (const auto& [which, s] : statuses)
      if (which == id || (is_test && dbt_test_id(which) == id))
        status = s;
    if (status == "absent")
      continue;
    bool ran = status != "skipped";
    json r = {{"status", status},
              {"timing", ran ? json::array({{{"name", "compile"},
                                             {"started_at", "2026-12-06T07:59:58.000000Z"},
                                             {"completed_at", "2026-12-06T07:59:58.500000Z"}},
                                            {{"name", "execute"},
                                             {"started_at", "2026-12-06T07:59:59.000000Z"},
                                             {"completed_at", completed_at}}})
                             : json::array()},
              {"thread_id", "Thread-1 (worker)"},
              {"execution_time", ran ? 0.5 : 0.0},
              {"adapter_response", ran ? json{{"_message", "OK"}, {"code", "OK"}} : json::object()},
              {"unique_id", id}};
    if (status == "fail") {
      r["message"] = "Got 3 results, configured to fail if != 0";
      r["failures"] = 3;
    } else if (status == "warn") {
      r["message"] = "Got 2 results, configured to warn if != 0";
      r["failures"] = 2;
    } else if (status == "error") {
      r["message"] = is_test ? "Database Error in test (no such column: id)"
                             : "Database Error in model (near \"selec\": syntax error)";
      r["failures"] = nullptr;
    } else {
      r["message"] = is_test ? json(nullptr) : json("OK");
      r["failures"] = is_test ? json(0) : json(nullptr);
    }
    if (v >= 5) {
      r["compiled"] = ran;
      r["compiled_code"] = "select 1";
      r["relation_name"] = nullptr;
    }
    results.push_back(r);
  }
  return {{"metadata", metadata("run-results", version)},
          {"results", results},
          {"elapsed_time", 4.2},
          {"args", {{"which", "build"}, {"target_path", "target"}}}};
}

void write_dbt_target(const std::filesystem::path& project_dir, const json& manifest,
                      const json& run_results) {
  auto target = project_dir / "target";
  std::filesystem::create_directories(target);
  for (const auto& [name, doc] : {std::pair{"manifest.json", &manifest},
                                  std::pair{"run_results.json", &run_results}}) {
    std::ofstream out(target / name);
    out << doc->dump(2);
    if (!out)
      throw std::runtime_error(std::string("cannot write ") + name);
  }
}

}  // namespace backflow::testing
