// Runs a query on a SQLite file and renders the result the way BigQuery's REST API does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3_stmt;

namespace backflow::emulators {

/// A BigQuery type: a scalar ("INT64", "NUMERIC", "TIMESTAMP", ...), "RECORD" with fields,
/// or REPEATED (an ARRAY<...>) of one.
struct bq_type {
  std::string name = "STRING";
  bool repeated = false;
  std::vector<std::pair<std::string, bq_type>> fields;  ///< RECORD's
};

/// Reads a type name: "INT64", "INTEGER" (a SQLite declared type), "NUMERIC", "BIGNUMERIC",
/// "FLOAT64", "BOOL", "STRING", "BYTES", "DATE", "DATETIME", "TIME", "TIMESTAMP", "JSON",
/// "ARRAY<T>", "STRUCT<name T, ...>"; false for an empty or unknown one.
bool bq_type_named(const std::string& text, bq_type& out);

/// A schema field entry {"name","type","mode"[,"fields"]} for `type`.
nlohmann::json bq_schema_field(const std::string& name, const bq_type& type);

/// A finished query: its schema and each row as `{"f":[{"v":…},…]}` JSON text.
struct bq_result {
  nlohmann::json schema = {{"fields", nlohmann::json::array()}};
  std::vector<std::string> rows;
  /// A DML statement's numDmlAffectedRows and dmlStats (null for a query or DDL).
  nlohmann::json dml;
};

/// Google's error for a query: HTTP status, reason ("invalidQuery", "notFound") and message.
struct bq_error {
  int status = 400;
  std::string reason;
  std::string message;
};

/// Binds jobs.query's named `parameters` (INT64 as an integer, FLOAT64 as a double, a missing
/// or null value as NULL, the rest as text) to `stmt`; false with `error` when one of its
/// @names has no parameter.
bool bq_bind_parameters(sqlite3_stmt* stmt, const nlohmann::json& parameters, bq_error& error);

/// Runs `query` on the SQLite file `database` (DDL, DML and MERGE too: see bigquery_dml.hpp), with `parameters` (jobs.query's
/// named queryParameters, bound to `@name`). Types come from a `name::TYPE` alias suffix, else
/// the declared type, else the first non-null value's storage class. TIMESTAMP values are
/// int64 microseconds when `int64_timestamps`, else float seconds ("1.7040672E9").
bool run_bq_query(const std::string& database, const std::string& query,
                  const nlohmann::json& parameters, bool int64_timestamps, bq_result& out,
                  bq_error& error);

}  // namespace backflow::emulators
