// The sync file's `writeback` object: where Backflow copies its run log and record ids.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/source.hpp"
#include "pipelines/core/option_spec.hpp"

namespace backflow {

struct sync_config;

/// `writeback`: after each run, the run, its records' outcomes and the destination ids are
/// copied to tables in a warehouse (README, Write-back to the warehouse).
struct writeback_config {
  source_spec connection;  ///< type and options; the sync's own source when not given
  std::string schema = "backflow";
  /// Rows of sync_runs and sync_records older than this are deleted; 0: kept forever.
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};
  size_t batch_rows = 500;  ///< rows per warehouse transaction
};

/// The keys of `writeback`: connection, schema, retention, batch_rows.
const std::vector<option_spec>& writeback_options();

/// Reads `doc["writeback"]` into `cfg.writeback` (after the source was read: it is the default
/// connection). A source type Backflow cannot write to is an error naming `writeback`; the
/// connection's secrets go to `cfg.secrets`.
void parse_writeback(const nlohmann::json& doc, const std::filesystem::path& base_dir,
                     sync_config& cfg, config_errors& errors);

/// `doc["writeback"]` with the connection's secret options replaced by "***".
nlohmann::json redact_writeback(const nlohmann::json& writeback);

}  // namespace backflow
