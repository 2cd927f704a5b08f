// A Snowflake warehouse read over the SQL API v2: one statement, its partitions streamed in order.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: account, url, user, private_key_file (+ passphrase) or token, context
/// (warehouse, database, schema, role), timeout, partitions_in_flight.
source_type snowflake_source_type();

/// Runs `spec.query`, then streams its partitions (several fetched at once) in order.
/// Destroying the cursor before the end cancels the statement.
result<std::unique_ptr<source_cursor>> open_snowflake_source(const source_spec& spec);

/// Columns of `spec.query` from `SELECT * FROM (<query>) LIMIT 0`: Snowflake compiles the
/// query and returns its rowType without reading rows (the SQL API has no describe-only call).
result<schema> describe_snowflake_source(const source_spec& spec);

}  // namespace backflow
