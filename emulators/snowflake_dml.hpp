// The Snowflake emulator's writes: CREATE SCHEMA as a file, MERGE on SQLite, DML results.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "emulators/snowflake_sql.hpp"

struct sqlite3;

namespace backflow::emulators {

/// Functions of Snowflake's SQL the statements may call: TO_TIMESTAMP_TZ(text), kept as the
/// ISO-8601 text it was given (rendered as a TIMESTAMP_TZ by the column's type when read).
void snow_register_functions(sqlite3* db);

/// Runs `statement` when it is one SQLite cannot run as written: CREATE SCHEMA (a file beside
/// the database, see sqlite_writes.hpp) or MERGE (translated; refused, as Snowflake does with
/// ERROR_ON_NONDETERMINISTIC_MERGE, when a target row matches two source rows). nullopt for
/// another statement; else whether it succeeded, `out` holding Snowflake's result row.
std::optional<bool> run_snow_write(sqlite3* db, const std::string& database,
                                   const std::string& statement, const nlohmann::json& bindings,
                                   snow_result& out, snow_error& error);

/// The result Snowflake gives a statement that returns no rows: "number of rows inserted" /
/// "deleted" / "updated" counts for DML, a "status" message for DDL. Always true.
bool snow_change_result(sqlite3* db, const std::string& statement, snow_result& out);

}  // namespace backflow::emulators
