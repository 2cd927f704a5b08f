// The Databricks emulator's writes: CREATE SCHEMA as a file, MERGE INTO on SQLite, DML counts.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "emulators/databricks_sql.hpp"

struct sqlite3;

namespace backflow::emulators {

/// Runs `statement` when it is one SQLite cannot run as written: CREATE SCHEMA (a file beside
/// the database, see sqlite_writes.hpp) or MERGE INTO (translated; refused, as Delta does,
/// when a target row matches more than one source row). nullopt for another statement; else
/// whether it succeeded, `out` holding Databricks' one-row result (num_affected_rows, ...).
std::optional<bool> run_dbx_write(sqlite3* db, const std::string& database,
                                  const std::string& statement, const nlohmann::json& parameters,
                                  dbx_result& out, dbx_error& error);

/// The result Databricks gives DML that ran on `db` (num_affected_rows, and num_inserted_rows
/// for INSERT); nothing for DDL.
void dbx_change_result(sqlite3* db, const std::string& statement, dbx_result& out);

}  // namespace backflow::emulators
