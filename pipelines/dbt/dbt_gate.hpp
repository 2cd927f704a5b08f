// The dbt gate: a sync of a dbt model runs only when the latest dbt results vouch for the model and everything upstream of it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "pipelines/dbt/dbt_manifest.hpp"

namespace backflow::dbt {

/// One node's outcome in run_results.json.
struct node_result {
  std::string status;   ///< success, error, skipped (models); pass, fail, warn, error, skipped (tests)
  std::string message;  ///< dbt's message ("Got 3 results, configured to fail if != 0")
  std::optional<long long> failures;  ///< failing rows of a test, when dbt counted them
  /// When the node finished executing (the "execute" timing's completed_at), if it ran.
  std::optional<std::chrono::system_clock::time_point> completed_at;
};

/// The parts of run_results.json the gate reads (schema v4 to v6: dbt 1.4 to 1.8 and later).
struct run_results {
  std::string schema_version;  ///< "v6"
  std::optional<std::chrono::system_clock::time_point> generated_at;
  std::map<std::string, node_result> by_node;

  static result<run_results> parse(const nlohmann::json& doc);
};

/// Reads `target_dir`/run_results.json.
result<run_results> load_run_results(const std::filesystem::path& target_dir);

/// What the sync asks of the dbt results (the sync file's `source.dbt`).
struct gate_policy {
  bool block_on_warn = false;  ///< `warn: "block"`: a test of severity warn that warned blocks too
  /// The model must have been built (successfully) at most this long ago; none: no age check.
  std::optional<std::chrono::milliseconds> max_age;
};

/// The gate's decision, with the reasons, for `plan`, the run summary and the logs.
struct gate_verdict {
  bool open = false;                    ///< the sync may read and send
  std::vector<std::string> blocking;    ///< why not, one line per failed test or model
  std::vector<std::string> notes;       ///< what did not block (allowed warnings, tests not run)
  size_t tests_checked = 0;
  size_t nodes_checked = 0;             ///< the model and its upstream nodes
  std::string built_at;                 ///< the model's last build, ISO-8601, if in the results

  [[nodiscard]] nlohmann::json to_json() const;
  /// One line: "open: 12 tests on 4 nodes passed" or "closed: 2 tests failed: ...".
  [[nodiscard]] std::string summary() const;
};

/// Judges `model` by the latest results: closed when a test on the model or on any node
/// upstream of it failed or errored (or warned, under block_on_warn), when any of those nodes
/// failed to build, or when max_age is set and the model was not built successfully within it.
gate_verdict judge(const manifest& m, const model_node& model, const run_results& results,
                   const gate_policy& policy, std::chrono::system_clock::time_point now);

}  // namespace backflow::dbt
