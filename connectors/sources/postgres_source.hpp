// A PostgreSQL warehouse read through a server-side cursor in a read-only transaction.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: `dsn` (required, secret), open, describe, location.
source_type postgres_source_type();

/// Connects to the `dsn` option, declares a cursor for `spec.query`, fetches it in bounded batches.
result<std::unique_ptr<source_cursor>> open_postgres_source(const source_spec& spec);

/// Columns of `spec.query` from an unnamed prepared statement; the query is not run.
result<schema> describe_postgres_source(const source_spec& spec);

}  // namespace backflow
