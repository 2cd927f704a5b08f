// The BigQuery emulator's writes: CREATE SCHEMA (a dataset) as a file, MERGE on SQLite, DML stats.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "emulators/bigquery_sql.hpp"

struct sqlite3;

namespace backflow::emulators {

/// Runs `query` when it is one SQLite cannot run as written: CREATE SCHEMA (a dataset: a file
/// beside the database, see sqlite_writes.hpp) or MERGE (translated; refused, as BigQuery
/// does, when a target row matches more than one source row). nullopt for another statement;
/// else whether it succeeded, `out.dml` holding the DML statistics.
std::optional<bool> run_bq_write(sqlite3* db, const std::string& database,
                                 const std::string& query, const nlohmann::json& parameters,
                                 bq_result& out, bq_error& error);

/// Sets `out.dml` for a DML statement that ran on `db` (INSERT, UPDATE, DELETE): how many rows
/// it changed, as BigQuery's numDmlAffectedRows and dmlStats; nothing for DDL.
void bq_change_result(sqlite3* db, const std::string& query, bq_result& out);

}  // namespace backflow::emulators
