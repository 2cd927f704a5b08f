// Write-back into Snowflake over the SQL API v2: one MERGE per table, values as typed bindings.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Writes through the account `spec` names (the snowflake source's options: url or account,
/// token or key pair, warehouse, database, role). Snowflake runs no bindings in a
/// multi-statement request, so each table's rows are one MERGE with `?` bindings (FIXED for
/// integers, TEXT for the rest), each atomic; names are upper case, as unquoted names resolve.
result<std::unique_ptr<warehouse_writer>> open_snowflake_writer(const source_spec& spec);

}  // namespace backflow
