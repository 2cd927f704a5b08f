// A dbt project's target/manifest.json: its models, their relations, the graph and the tests on each node.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"

namespace backflow::dbt {

/// A model as a sync reads it.
struct model_node {
  std::string unique_id;     ///< "model.jaffle.customers"
  std::string name;          ///< "customers"
  std::string database;      ///< may be empty (SQLite, some adapters)
  std::string schema;
  std::string alias;         ///< the relation's table name (the name unless configured)
  std::string relation_name; ///< as dbt renders it for the adapter ("\"db\".\"s\".\"t\""); may be empty
  std::string materialized;  ///< table, view, incremental, ephemeral, ...
  std::vector<std::string> columns;  ///< documented columns, in the manifest's order
};

/// A test node (generic or singular) and what it tests.
struct test_node {
  std::string unique_id;  ///< "test.jaffle.not_null_customers_id.5c2d1a"
  std::string name;       ///< "not_null_customers_id"
  std::string severity;   ///< "error" or "warn" (lowercased)
  std::vector<std::string> tested;  ///< the nodes it depends on (attached_node first when given)
};

/// The parts of manifest.json a sync needs. Read with load_manifest().
class manifest {
 public:
  /// Parses the text of a manifest (schema v9 to v12: dbt 1.5 to 1.8 and later with the same
  /// keys). Errors name what is missing.
  static result<manifest> parse(const nlohmann::json& doc);

  /// The model named `name` (or with that unique id). Errors say why a sync cannot read it:
  /// absent (with the closest names), disabled, or ephemeral (no relation to select from).
  [[nodiscard]] result<model_node> model(const std::string& name) const;

  /// `unique_id` and every node upstream of it (models, seeds, snapshots, sources), through
  /// parent_map (or each node's depends_on when the manifest has no parent_map).
  [[nodiscard]] std::set<std::string> upstream_of(const std::string& unique_id) const;

  /// The tests that test any node of `nodes`, in unique-id order.
  [[nodiscard]] std::vector<test_node> tests_on(const std::set<std::string>& nodes) const;

  /// "v12" from metadata.dbt_schema_version; "" when absent.
  [[nodiscard]] const std::string& schema_version() const { return schema_version_; }

 private:
  nlohmann::json nodes_;
  nlohmann::json sources_;
  nlohmann::json disabled_;
  nlohmann::json parent_map_;
  std::string schema_version_;
};

/// Reads `target_dir`/manifest.json.
result<manifest> load_manifest(const std::filesystem::path& target_dir);

/// Reads a JSON file, with an error naming the file and what is wrong with it.
result<nlohmann::json> read_json_file(const std::filesystem::path& file);

/// The string member `key` of `node`, or "" when it is absent or not a string.
std::string text_of(const nlohmann::json& node, const char* key);

/// "v12" from an artifact's metadata.dbt_schema_version URL
/// ("https://schemas.getdbt.com/dbt/manifest/v12.json"); "" when it is not one.
std::string schema_version_of(const std::string& url);

}  // namespace backflow::dbt
