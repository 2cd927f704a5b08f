// Runs a statement on a SQLite file and renders the result the way Databricks' JSON_ARRAY does.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3_stmt;

namespace backflow::emulators {

/// A Databricks column type: type_name ("LONG", "DECIMAL", "ARRAY"), type_text ("DECIMAL(38,2)",
/// "ARRAY<STRING>"), precision and scale for DECIMAL.
struct dbx_type {
  std::string name = "STRING";
  std::string text = "STRING";
  int precision = 0;
  int scale = 0;
};

/// The Databricks type a SQLite declared type or a `::TYPE` alias suffix names ("BIGINT",
/// "INT", "DECIMAL(38,2)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "BINARY",
/// "ARRAY<...>", "MAP<...>", "STRUCT<...>", "INTERVAL ..."); false for an empty or unknown name.
bool dbx_type_named(std::string text, dbx_type& out);

/// A finished statement: the manifest's columns and each chunk's data_array as JSON text.
struct dbx_result {
  nlohmann::json columns = nlohmann::json::array();
  std::vector<std::string> chunks;  ///< "[[...],...]" each
  std::vector<std::size_t> chunk_rows;
  std::size_t rows = 0;
};

/// Databricks' error for a failed statement: status.error's error_code and message.
struct dbx_error {
  std::string code;
  std::string message;
};

/// Binds the API's `parameters` ([{"name", "value", "type"}]) to the `:name` markers of
/// `stmt` as their `type` says (integer types as integers, DOUBLE/FLOAT as reals, BOOLEAN as
/// 0/1, the rest as text, no value as NULL); false with Databricks' error otherwise.
bool dbx_bind_parameters(sqlite3_stmt* stmt, const nlohmann::json& parameters, dbx_error& error);

/// Runs `statement` (one statement; `parameters` as the API's [{"name","value","type"}], bound
/// to `:name` markers as their `type` says: integer types as integers, DOUBLE/FLOAT as reals,
/// BOOLEAN as 0/1, the rest as text) on the SQLite file `database` (DDL, DML and MERGE too: see databricks_dml.hpp), in chunks of `chunk_rows`.
/// Column types come from a `name::TYPE` alias suffix, else the declared type, else the first
/// non-null value's storage class. Returns false with `error` set when SQLite refuses it.
bool run_dbx_statement(const std::string& database, const std::string& statement,
                       const nlohmann::json& parameters, std::size_t chunk_rows, dbx_result& out,
                       dbx_error& error);

}  // namespace backflow::emulators
