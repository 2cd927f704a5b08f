// The dbt gate of a sync (see dbt_check.hpp).
#include "pipelines/sync/dbt_check.hpp"

namespace backflow {

dbt::gate_verdict judge_dbt_model(const dbt_model_config& config,
                                  std::chrono::system_clock::time_point now) {
  dbt::gate_verdict closed;
  auto manifest = dbt::load_manifest(config.target_dir);
  if (!manifest) {
    closed.blocking.push_back(manifest.error().message);
    return closed;
  }
  auto model = manifest->model(config.unique_id.empty() ? config.model : config.unique_id);
  if (!model) {
    closed.blocking.push_back("dbt model: " + model.error().message);
    return closed;
  }
  auto results = dbt::load_run_results(config.target_dir);
  if (!results) {
    closed.blocking.push_back(results.error().message +
                              "; without results no test vouches for the model");
    return closed;
  }
  return dbt::judge(*manifest, *model, *results, config.policy, now);
}

}  // namespace backflow
