// What the warehouse emulators share to take writes on SQLite: schemas as files, MERGE translated.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace backflow::emulators {

/// A warehouse's schema (Snowflake schema, BigQuery dataset, Databricks schema) lives in its
/// own SQLite file beside the database, "<database>.<schema>", attached under its name.
/// Attaches every such file to `db`, the connection to `database`; false with `error` set when
/// one cannot be attached.
bool attach_schemas(sqlite3* db, const std::string& database, std::string& error);

/// The schema a "CREATE SCHEMA [IF NOT EXISTS] name" statement names (quoted with "" or ``, or
/// bare), or nullopt for another statement; `if_not_exists` says whether the clause was there.
std::optional<std::string> schema_created_by(const std::string& sql, bool& if_not_exists);

/// Creates the file of schema `name` for `database` and attaches it; `existed` when it was
/// there already. False with `error` set on failure (":memory:" has no files: attached in
/// memory, for this connection only).
bool create_schema_file(sqlite3* db, const std::string& database, const std::string& name,
                        bool& existed, std::string& error);

/// A MERGE statement as the SQLite statements that do the same.
struct merge_translation {
  std::string update;      ///< "UPDATE target AS t SET ... FROM (source) AS s WHERE on", or ""
  std::string insert;      ///< "INSERT INTO target (...) SELECT ... WHERE NOT EXISTS (...)", or ""
  std::string duplicates;  ///< a query returning a row when a target row matches twice
};

/// True when `sql` is a MERGE statement (its first word).
bool is_merge(const std::string& sql);

/// Translates "MERGE INTO target [AS] t USING (source) [AS] s ON cond [WHEN MATCHED THEN
/// UPDATE SET ...] [WHEN NOT MATCHED THEN INSERT (cols) VALUES (vals)]", the form every
/// warehouse shares; nullopt with `error` set for another shape. Placeholders are kept as
/// written, so they must be named or numbered (?NNN) to bind the same values in each part.
std::optional<merge_translation> translate_merge(const std::string& sql, std::string& error);

/// Rows a MERGE changed.
struct merge_counts {
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
};

/// Runs `m` on `db` in one transaction, each part's placeholders bound by `bind` (called with
/// each prepared statement; false stops). Returns false with `error` (SQLite's message, or
/// "duplicate" when a target row matched more than one source row: warehouses refuse such a
/// MERGE as nondeterministic) on failure, changing nothing.
bool run_merge(sqlite3* db, const merge_translation& m,
               const std::function<bool(sqlite3_stmt*)>& bind, merge_counts& counts,
               std::string& error);

/// `sql` with each bare `?` outside quotes numbered `?1`, `?2`, ... in order (Snowflake's
/// positional bindings, which a translated MERGE uses more than once).
std::string numbered_placeholders(const std::string& sql);

/// A CREATE statement with the warehouse type STRING (a word outside quotes) as TEXT, which
/// SQLite gives text affinity (STRING alone would be NUMERIC: "007" would become 7). Other
/// statements unchanged.
std::string with_sqlite_types(const std::string& sql);

/// The first word of `sql`, upper case ("MERGE", "DELETE", "CREATE").
std::string first_word(const std::string& sql);

}  // namespace backflow::emulators
