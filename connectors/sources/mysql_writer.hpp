// Write-back into MySQL or MariaDB: the schema is a database; one InnoDB transaction a batch.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Connects to the server of `spec` (the mysql source's options) for writing.
result<std::unique_ptr<warehouse_writer>> open_mysql_writer(const source_spec& spec);

}  // namespace backflow
