// A PostgreSQL warehouse read through a server-side cursor in a read-only transaction.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/postgres_values.hpp"
#include "connectors/sources/source.hpp"

namespace backflow {

struct source_type;

/// What a server speaking PostgreSQL's wire protocol is sent, where servers differ (Redshift).
struct pg_dialect {
  std::string server;    ///< in messages: "PostgreSQL", "Redshift"
  std::string location;  ///< prefix of the location text: "postgres", "redshift"
  std::string default_port;
  /// libpq keywords the DSN may override (e.g. sslmode=require), besides application_name
  /// and connect_timeout.
  std::vector<std::pair<std::string, std::string>> connect_defaults;
  /// Statements run once after connecting (one simple-protocol message, joined by "; ").
  std::vector<std::string> session_setup;
  std::string begin;           ///< opens the read's one read-only snapshot
  std::string declare_prefix;  ///< followed by the model query
  size_t min_fetch_rows = 1000;
  size_t max_fetch_rows = 10000;
  /// The cell kind of a type OID; nothing for a type the dialect does not know, which is read
  /// as text with a warning naming the type.
  std::function<std::optional<pg_cell>(unsigned int type_oid)> cell_of;
};

/// PostgreSQL's own dialect (see docs/connectors/postgres.md).
const pg_dialect& postgres_dialect();

/// open_postgres_source for any server of the wire protocol, sending what `dialect` says.
result<std::unique_ptr<source_cursor>> open_pg_wire_source(const source_spec& spec,
                                                           const pg_dialect& dialect);
/// describe_postgres_source for any server of the wire protocol.
result<schema> describe_pg_wire_source(const source_spec& spec, const pg_dialect& dialect);
/// "<location>:host=h port=p dbname=d" (the dialect's port when the DSN gives none).
std::string pg_wire_location(const std::string& dsn, const pg_dialect& dialect);

/// The registry entry: `dsn` (required, secret), open, describe, location.
source_type postgres_source_type();

/// Connects to the `dsn` option, declares a cursor for `spec.query`, fetches it in bounded batches.
result<std::unique_ptr<source_cursor>> open_postgres_source(const source_spec& spec);

/// Columns of `spec.query` from an unnamed prepared statement; the query is not run.
result<schema> describe_postgres_source(const source_spec& spec);

}  // namespace backflow
