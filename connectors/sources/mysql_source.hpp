// A MySQL or MariaDB warehouse read as one unbuffered result in a read-only transaction.
#pragma once

#include <memory>

#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: `url` (secret) or host, port, user, password (secret) and database;
/// `tls`, `tls_ca`; open, describe, location.
source_type mysql_source_type();

/// Connects, starts a read-only consistent-snapshot transaction, runs `spec.query` and streams
/// its rows with mysql_use_result: one row at a time from the socket, never the whole result.
result<std::unique_ptr<source_cursor>> open_mysql_source(const source_spec& spec);

/// Columns of `spec.query` from a prepared statement's result metadata; the query is not run.
result<schema> describe_mysql_source(const source_spec& spec);

}  // namespace backflow
