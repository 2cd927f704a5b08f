// Write-back into Databricks over the SQL Statement Execution API: MERGE INTO with named parameters.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Writes through the SQL warehouse `spec` names (the databricks source's options: host,
/// warehouse_id, catalog, token or OAuth client): write-back's `schema` is a schema of the
/// connection's catalog. Each table's rows are one MERGE INTO a Delta table with named
/// parameters (:p0, ...: BIGINT, STRING, TIMESTAMP), each atomic.
result<std::unique_ptr<warehouse_writer>> open_databricks_writer(const source_spec& spec);

}  // namespace backflow
