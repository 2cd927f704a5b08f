// Write-back into Amazon Redshift: DELETE then INSERT in one transaction, values as $n parameters.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Writes through the cluster the redshift source's `dsn` names (port 5439 and SSL required
/// unless the DSN says otherwise). Redshift has no INSERT ... ON CONFLICT: each batch is one
/// transaction that deletes its keys, then inserts its rows, values bound as text parameters
/// of the extended protocol ($1, $2, ...), which Redshift converts to the columns' types.
result<std::unique_ptr<warehouse_writer>> open_redshift_writer(const source_spec& spec);

}  // namespace backflow
