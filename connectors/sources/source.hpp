// The warehouse side: a streaming cursor over a model's rows, in the canonical row encoding.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// A value bound to a placeholder of the query a source runs (incremental reads' lower bound).
/// Text either way; `integer` says the source should bind it as one.
struct query_param {
  std::string text;
  bool integer = false;
};

/// How a sync reads only what moved (the sync file's `source.incremental`).
struct incremental_read {
  enum class deletes { key_scan, none, periodic_full_scan };
  std::string cursor;          ///< the model column whose value grows when a row changes
  long long lookback_ms = 0;   ///< re-read this far behind the mark (late rows)
  deletes delete_detection = deletes::key_scan;
  long long full_scan_every_ms = 0;  ///< periodic_full_scan: the longest time between full reads
};

/// Where a model lives and how to read it; filled from the sync file's `source` object.
struct source_spec {
  std::string type;  ///< a registered source type (connectors/sources/registry.cpp)
  /// The type's own options (its table in the registry), validated, defaults filled in; not
  /// `type`, `query` nor `key`. Paths are already resolved against the sync file.
  nlohmann::json options = nlohmann::json::object();
  std::string query;  ///< the model (or, for an incremental read, the windowed query)
  /// Values for the query's placeholders, in order (empty: the query has none).
  std::vector<query_param> params;
  /// Set when the sync reads incrementally (the run decides each time what it reads).
  std::optional<incremental_read> incremental;

  /// The string option `name`, or "" when it is absent or not a string.
  [[nodiscard]] std::string string_option(const std::string& name) const;

  /// The query as a statement to run: without its terminator (strip_query_terminator); a
  /// `source.query` failure when nothing is left.
  [[nodiscard]] result<std::string> model_statement() const;
};

/// A forward-only cursor over a model. Blocking: call it only from a detached actor or thread.
class source_cursor {
 public:
  virtual ~source_cursor() = default;

  /// Columns of the result, known once the cursor is open.
  [[nodiscard]] virtual const schema& columns() const = 0;

  /// Appends up to `max_rows` encoded rows to `out`; returns how many were appended, 0 at the end.
  /// Each row has exactly columns().size() cells.
  virtual result<size_t> fetch(packed_rows& out, size_t max_rows) = 0;
};

/// Opens a cursor that streams the model's rows without holding the whole result in memory.
/// Goes through the source registry; an unregistered type is a `source.type` failure.
result<std::unique_ptr<source_cursor>> open_source(const source_spec& spec);

/// Columns the model would return, without reading its rows (prepares or describes the query).
result<schema> describe_source(const source_spec& spec);

/// True when `problem` (from open_source or describe_source) is the sync file's fault: a query
/// the warehouse refuses, or an option the source type marks as such (a SQLite file that is not
/// there). False for a warehouse that cannot be reached now (a PostgreSQL server down).
bool is_config_problem(const source_spec& spec, const failure& problem);

}  // namespace backflow
