// `serve` and dbt: which syncs a new dbt run_results.json selects (the syncs whose model it built).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"

namespace backflow {

/// Watches the run_results.json of every dbt project the syncs read. The first look at a file
/// only remembers it; when it changes afterwards (dbt ran again), poll() returns the syncs
/// whose model that run built successfully. Plain C++: the caller polls.
class dbt_watch {
 public:
  /// The syncs (by name) to trigger: those of `syncs` reading a dbt model that a run_results.json
  /// written since the last poll built.
  std::vector<std::string> poll(const std::map<std::string, std::shared_ptr<const sync_config>>& syncs);

 private:
  struct seen {
    std::filesystem::file_time_type mtime{};
    uintmax_t size = 0;
    std::string invocation;  ///< metadata.invocation_id (+ generated_at): what makes it new
  };
  std::map<std::filesystem::path, seen> seen_;
};

}  // namespace backflow
