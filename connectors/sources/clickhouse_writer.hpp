// Write-back into ClickHouse: ReplacingMergeTree tables keyed like the other engines' primary keys.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Writes over the HTTP interface of the server `spec` names (the clickhouse source's options).
/// ClickHouse has no transactions: a batch's rows are one INSERT per table, a repeated row
/// replaces its twin when parts merge (read with FINAL), and removed ids go by a DELETE
/// mutation, which only touches rows inserted before it.
result<std::unique_ptr<warehouse_writer>> open_clickhouse_writer(const source_spec& spec);

}  // namespace backflow
