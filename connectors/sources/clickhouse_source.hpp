// A ClickHouse warehouse read over its HTTP interface, streamed as TabSeparatedWithNamesAndTypes.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: url, user, password (secret), database, settings, compression.
source_type clickhouse_source_type();

/// POSTs `spec.query` with a fresh query_id and streams its rows with bounded memory; a cursor
/// closed before the end kills the query on the server (KILL QUERY on a second connection).
result<std::unique_ptr<source_cursor>> open_clickhouse_source(const source_spec& spec);

/// Columns of `spec.query` from `DESCRIBE TABLE (query)`: the query is analysed, not run.
result<schema> describe_clickhouse_source(const source_spec& spec);

}  // namespace backflow
