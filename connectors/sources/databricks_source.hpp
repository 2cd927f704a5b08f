// A Databricks SQL warehouse read over the Statement Execution API 2.0, chunks streamed in order.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: host, warehouse_id, catalog, schema, token or client_id + client_secret,
/// disposition, wait_timeout, chunks_in_flight.
source_type databricks_source_type();

/// Runs `spec.query`, then streams its chunks (several fetched at once) in order.
/// Destroying the cursor before the end cancels the statement.
result<std::unique_ptr<source_cursor>> open_databricks_source(const source_spec& spec);

/// Columns of `spec.query` from `SELECT * FROM (<query>) LIMIT 0`: the warehouse plans the query
/// and returns its manifest without reading rows (the API has no describe-only call).
result<schema> describe_databricks_source(const source_spec& spec);

}  // namespace backflow
