// Runs a statement on a SQLite file and renders the result the way Snowflake's SQL API does.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3_stmt;

namespace backflow::emulators {

/// A Snowflake column type: "FIXED" with precision and scale, "TEXT", "TIMESTAMP_TZ", ...
struct snow_type {
  std::string name = "TEXT";
  int precision = 0;
  int scale = 0;
};

/// The Snowflake type a SQLite declared type or a type suffix names ("INTEGER" → FIXED(38,0),
/// "NUMBER(38,2)", "REAL", "BOOLEAN", "DATE", "TIME", "DATETIME"/"TIMESTAMP_NTZ",
/// "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "VARIANT"/"JSON", "OBJECT", "ARRAY", "BLOB"/"BINARY");
/// false for an empty or unknown name.
bool snow_type_named(std::string text, snow_type& out);

/// A finished statement: rowType and each partition's `data` as JSON text.
struct snow_result {
  nlohmann::json row_type = nlohmann::json::array();
  std::vector<std::string> partitions;  ///< "[[...],...]" each
  std::vector<std::size_t> partition_rows;
  std::size_t rows = 0;
};

/// Snowflake's error for a statement: HTTP 422 with code, sqlState and message.
struct snow_error {
  std::string code;
  std::string sql_state;
  std::string message;
};

/// Runs `statement` (one statement; `bindings` as the SQL API's {"1":{"type","value"}}) on the
/// SQLite file `database` (writes and MERGE too: see snowflake_dml.hpp); `cancelled` is checked between rows. Column types come
/// from a `name::TYPE` alias suffix, else the declared type, else the first non-null value's
/// storage class. Returns false with `error` set when SQLite refuses it.
bool run_snow_statement(const std::string& database, const std::string& statement,
                      const nlohmann::json& bindings, std::size_t partition_rows,
                      const std::atomic<bool>& cancelled, snow_result& out, snow_error& error);

/// Binds the SQL API's `bindings` ({"1": {"type", "value"}}, FIXED as an integer, REAL as a
/// double, the rest as text, a null value as NULL) to `stmt`; false when they do not match its
/// placeholders one for one.
bool snow_bind_all(sqlite3_stmt* stmt, const nlohmann::json& bindings);

/// JSON text re-indented the way Snowflake prints VARIANT values (two spaces, "key": value),
/// tokens kept as written (a 30-digit number stays exact).
std::string snow_pretty_json(const std::string& json);

}  // namespace backflow::emulators
