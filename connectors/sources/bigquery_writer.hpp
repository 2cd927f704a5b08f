// Write-back into BigQuery through jobs.query: one MERGE per table, values as typed query parameters.
#pragma once

#include <memory>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Writes through the project `spec` names (the bigquery source's options: project,
/// credentials_file or access_token, location, endpoint); write-back's `schema` is the
/// dataset, created in the job's location. Each table's rows are one DML MERGE with named
/// parameters (@p0, ...: INT64, STRING, TIMESTAMP), each atomic; a key file's token asks for
/// the `bigquery` scope, which may write.
result<std::unique_ptr<warehouse_writer>> open_bigquery_writer(const source_spec& spec);

}  // namespace backflow
