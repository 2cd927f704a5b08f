// The warehouse side: a streaming cursor over a model's rows, in the canonical row encoding.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// Where a model lives and how to read it; filled from the sync file's `source` object.
struct source_spec {
  std::string type;  ///< a registered source type (connectors/sources/registry.cpp)
  /// The type's own options (its table in the registry), validated, defaults filled in; not
  /// `type`, `query` nor `key`. Paths are already resolved against the sync file.
  nlohmann::json options = nlohmann::json::object();
  std::string query;  ///< the model

  /// The string option `name`, or "" when it is absent or not a string.
  [[nodiscard]] std::string string_option(const std::string& name) const;
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
