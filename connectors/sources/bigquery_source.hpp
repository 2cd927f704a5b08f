// A BigQuery read over the REST API v2: jobs.query, then getQueryResults pages by pageToken.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: project, credentials_file or access_token, dataset, location, endpoint,
/// page_rows, timeout_ms.
source_type bigquery_source_type();

/// Runs `spec.query` (standard SQL) and streams its pages in order, the next page fetched
/// while the current one is read. Destroying the cursor before the end cancels the job.
result<std::unique_ptr<source_cursor>> open_bigquery_source(const source_spec& spec);

/// Columns of `spec.query` from `SELECT * FROM (<query>) LIMIT 0`: the answer's schema,
/// without rows.
result<schema> describe_bigquery_source(const source_spec& spec);

}  // namespace backflow
