// The sync file: parsed, validated (all errors at once, with key paths) and ready to run.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/source.hpp"
#include "pipelines/core/env_interpolation.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/config/writeback_config.hpp"
#include "pipelines/dbt/dbt_gate.hpp"
#include "pipelines/delivery/destination.hpp"
#include "pipelines/schedule/schedule.hpp"
#include "pipelines/delivery/retry_policy.hpp"
#include "pipelines/mapping/row_mapper.hpp"

namespace backflow {

struct guards_config {
  std::optional<double> max_changed_ratio;  ///< (added + changed) / rows synced before
  std::optional<double> max_deleted_ratio;  ///< deleted / rows synced before
  std::optional<uint64_t> min_rows;         ///< fewest rows the model may return
  std::optional<double> max_row_drop_ratio; ///< rows lost since the previous run / its rows
  size_t max_value_bytes = 65536;           ///< longest text value of a kept column
};

struct delivery_config {
  int concurrency = 4;  ///< requests in flight per sync
  retry_policy retry;
  std::chrono::milliseconds request_timeout{30'000};
  /// The longest wait a destination may ask for (429, usage headers) before the run stops and
  /// leaves the rest, with the account paused, to a later run.
  std::chrono::milliseconds max_pause{300'000};
  /// The longest a destination may pause the account for; unset: the destination's default.
  std::optional<std::chrono::milliseconds> max_wait;
};

/// `freshness`: a query whose newest value must be younger than `max_age`, else the run is skipped.
struct freshness_config {
  std::string query;  ///< runs on the sync's source; its first cell is read
  std::chrono::milliseconds max_age{0};
};

/// `notify`: a signed webhook called after runs that need a human.
struct notify_config {
  std::string url;
  std::string secret;  ///< Standard Webhooks signing secret; unsigned when empty
  std::vector<std::string> on;  ///< run status names ("failed" is read as "incomplete")
  std::optional<uint64_t> rejected_over;  ///< also notify when more records were rejected
};

/// `source.dbt`: the sync reads a dbt model, gated by the latest dbt results.
struct dbt_model_config {
  std::filesystem::path project_dir;  ///< absolute
  std::filesystem::path target_dir;   ///< absolute: project_dir / target_path
  std::string model;                  ///< as written: a model name or unique id
  std::string unique_id;              ///< resolved from the manifest at validation
  std::string model_name;             ///< the model's dbt name (what ref() takes)
  dbt::gate_policy policy;
};

/// Which rejected records a run sends again (`retry_rejected`).
enum class retry_rejected_policy {
  changed,  ///< only when the record's row changed since it was rejected (the default)
  always,   ///< every run, changed or not (a destination-side fix needs no model change)
};

struct sync_config {
  std::string name;
  std::string description;
  nlohmann::json owner;  ///< {"name", "email"} when given (dbt exposures list it)
  std::filesystem::path file;
  source_spec source;
  std::vector<std::string> key_columns;
  std::string destination_type;
  nlohmann::json destination;  ///< validated options with defaults, without `type`
  sync_mode mode = sync_mode::upsert;
  /// Not part of the config fingerprint: it decides which records are planned, not their payload.
  retry_rejected_policy retry_rejected = retry_rejected_policy::changed;
  /// `binary`: what a binary value (BLOB, bytea) becomes; copied into every mapping rule.
  binary_policy binary = binary_policy::base64;
  bool mapping_given = false;  ///< false: every non-key column maps to a same-named field
  std::vector<mapping_rule> mapping;
  nlohmann::json mapping_json;  ///< as written, for the fingerprint
  guards_config guards;
  delivery_config delivery;
  std::optional<freshness_config> freshness;
  std::optional<dbt_model_config> dbt;
  std::optional<notify_config> notify;
  std::optional<writeback_config> writeback;  ///< `writeback`: copies of runs, outcomes and ids
  nlohmann::json schedule;
  sync_schedule when;  ///< `schedule`, parsed (manual when absent)
  std::vector<std::string> secrets;  ///< resolved secret values, redacted wherever printed
  nlohmann::json redacted;           ///< the whole file with secrets replaced by "***"

  /// The context a destination connector is built from.
  [[nodiscard]] destination_context connector_context(uint64_t run_id) const;

  /// Hash of everything that shapes what is sent: mode, key, mapping, destination shape. A
  /// change set planned under another one is planned anew rather than resumed.
  [[nodiscard]] uint64_t config_fingerprint() const;

  /// Seed of the payload hashes: the destination's type and the options that shape where and
  /// how records land (object, audience, id property). Not the mode nor the mapping: the
  /// payload itself is hashed, so only what the destination would receive differently counts.
  [[nodiscard]] uint64_t payload_fingerprint() const;
};

struct config_result {
  std::optional<sync_config> config;
  config_errors errors;
  std::vector<std::string> secrets;  ///< found even when the file has errors: redact them all
};

/// Parses and validates a sync file's text; relative SQLite paths resolve against `base_dir`.
config_result parse_sync_config(const std::string& text, const std::filesystem::path& base_dir,
                                const env_lookup& env);

/// Reads and validates a sync file.
config_result load_sync_file(const std::filesystem::path& file,
                             const env_lookup& env = process_environment());

/// The mapping used for a model with `columns`: the configured one, or every non-key column
/// to a field of the same name.
std::vector<mapping_rule> effective_mapping(const sync_config& config, const schema& columns);

/// Checks the model's columns against the key and mapping; errors name the config key.
void check_model_columns(const sync_config& config, const schema& columns, config_errors& errors);

/// True when `name` is usable as a sync name (letters, digits, '_', '-', '.').
bool valid_sync_name(const std::string& name);

}  // namespace backflow
