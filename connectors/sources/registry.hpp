// The source catalogue: one entry per warehouse type, listed explicitly in registry.cpp.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/core/option_spec.hpp"

namespace backflow {

/// Everything the engine needs to know about a source type.
struct source_type {
  std::string name;     ///< the sync file's `source.type`
  std::string summary;  ///< one line for `backflow describe`
  /// The `source` object's own keys for this type (besides `type`, `query` and `key`, which
  /// every source has); secrets are marked so errors and printed files never show them.
  std::vector<option_spec> options;
  std::function<result<std::unique_ptr<source_cursor>>(const source_spec&)> open;
  std::function<result<schema>(const source_spec&)> describe;
  /// Where the data lives, as text without secrets ("sqlite:/abs/w.db"): part of a sync's
  /// recorded identity, so two specs with the same location read the same data.
  std::function<std::string(const source_spec&)> location;
  /// Makes validated options independent of the working directory (e.g. a relative file path
  /// resolved against the sync file's directory `base_dir`); may be empty.
  std::function<void(nlohmann::json& options, const std::filesystem::path& base_dir)> resolve;
  /// Checks that need more than the option table (a blank value, options that exclude each
  /// other), on the validated options before `resolve`; errors go under `path`. May be empty.
  std::function<void(const nlohmann::json& options, const std::string& path, config_errors&)>
      check;
  /// Incremental reads: the SQL returning the rows of `model` whose column `cursor` is at or
  /// past the query's one placeholder (bound as query_param), and the rows whose cursor is
  /// NULL; in the source's dialect. Empty: the source cannot read incrementally, and a sync file
  /// giving it `source.incremental` is refused at validation. open() must bind spec.params.
  std::function<std::string(const std::string& model, const std::string& cursor, bool integer)>
      window_query;
  /// The SQL returning only the key `columns` of `model`'s rows (the key scan that finds
  /// deletes on an incremental read). Required with window_query.
  std::function<std::string(const std::string& model, const std::vector<std::string>& columns)>
      key_query;
  /// Options whose open/describe failures are the sync file's fault (a file that is not
  /// there), not an unreachable warehouse; `source.query` always is.
  std::vector<std::string> config_problem_options;
};

const std::vector<source_type>& source_types();
const source_type* find_source_type(std::string_view name);

}  // namespace backflow
