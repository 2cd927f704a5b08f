// Write-back into a SQLite file: Backflow's tables as "<schema>_<table>", one transaction a batch.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Opens the SQLite file of `spec` (option `path`) for writing; it must exist.
result<std::unique_ptr<warehouse_writer>> open_sqlite_writer(const source_spec& spec);

}  // namespace backflow
