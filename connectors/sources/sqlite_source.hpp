// The embedded default warehouse: a SQLite database file, opened read-only and stepped per fetch.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: `path` (required; relative to the sync file), open, describe, location.
source_type sqlite_source_type();

/// Opens the `path` option read-only and prepares `spec.query`; rows are read on each fetch.
result<std::unique_ptr<source_cursor>> open_sqlite_source(const source_spec& spec);

/// Columns of `spec.query` from the prepared statement; no row is read.
result<schema> describe_sqlite_source(const source_spec& spec);

}  // namespace backflow
