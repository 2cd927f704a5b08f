// Write-back into PostgreSQL (and Redshift's dialect): one transaction a batch, over libpq.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Connects to the PostgreSQL server of `spec` (option `dsn`) for writing.
result<std::unique_ptr<warehouse_writer>> open_postgres_writer(const source_spec& spec);

}  // namespace backflow
