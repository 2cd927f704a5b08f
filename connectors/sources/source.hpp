// The warehouse side: a streaming cursor over a model's rows, in the canonical row encoding.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// Where a model lives and how to read it; filled from the sync file's `source` object.
struct source_spec {
  std::string type;   ///< "sqlite" | "postgres"
  std::string path;   ///< sqlite: database file
  std::string dsn;    ///< postgres: libpq connection string or URI (a secret)
  std::string query;  ///< the model
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
result<std::unique_ptr<source_cursor>> open_source(const source_spec& spec);

/// Columns the model would return, without reading its rows (prepares or describes the query).
result<schema> describe_source(const source_spec& spec);

}  // namespace backflow
