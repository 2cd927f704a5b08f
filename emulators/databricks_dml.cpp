// The Databricks emulator's writes (see databricks_dml.hpp).
#include "emulators/databricks_dml.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "emulators/sqlite_writes.hpp"

namespace backflow::emulators {
namespace {

/// A one-row result of BIGINT counts.
void dbx_counts(dbx_result& out, const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  nlohmann::json row = nlohmann::json::array();
  for (size_t i = 0; i < counts.size(); ++i) {
    out.columns.push_back({{"name", counts[i].first}, {"position", i}, {"type_name", "LONG"},
                           {"type_text", "BIGINT"}});
    row.push_back(std::to_string(counts[i].second));
  }
  out.chunks.push_back(nlohmann::json::array({row}).dump());
  out.chunk_rows.push_back(1);
  out.rows = 1;
}

}  // namespace

std::optional<bool> run_dbx_write(sqlite3* db, const std::string& database,
                                  const std::string& statement, const nlohmann::json& parameters,
                                  dbx_result& out, dbx_error& error) {
  bool if_not_exists = false;
  if (auto schema = schema_created_by(statement, if_not_exists)) {
    bool existed = false;
    std::string why;
    if (!create_schema_file(db, database, *schema, existed, why)) {
      error = {"BAD_REQUEST", "[INVALID_SCHEMA_OR_RELATION_NAME] " + why};
      return false;
    }
    if (existed && !if_not_exists) {
      error = {"BAD_REQUEST", "[SCHEMA_ALREADY_EXISTS] Cannot create schema `" + *schema +
                                  "` because it already exists. SQLSTATE: 42P06"};
      return false;
    }
    return true;
  }
  if (!is_merge(statement))
    return std::nullopt;
  std::string why;
  auto merge = translate_merge(statement, why);
  merge_counts counts;
  dbx_error bind_error;
  if (merge && run_merge(db, *merge,
                         [&](sqlite3_stmt* s) { return dbx_bind_parameters(s, parameters, bind_error); },
                         counts, why)) {
    dbx_counts(out, {{"num_affected_rows", counts.inserted + counts.updated},
                     {"num_updated_rows", counts.updated},
                     {"num_deleted_rows", 0},
                     {"num_inserted_rows", counts.inserted}});
    return true;
  }
  if (!bind_error.code.empty())
    error = bind_error;
  else if (why == "duplicate")
    error = {"BAD_REQUEST",
             "[DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE] Cannot perform Merge as "
             "multiple source rows matched and attempted to modify the same target row in the "
             "Delta table in possibly conflicting ways. SQLSTATE: 21506"};
  else
    error = {"BAD_REQUEST", std::string(why.find("no such table") != std::string::npos
                                            ? "[TABLE_OR_VIEW_NOT_FOUND] "
                                            : "[PARSE_SYNTAX_ERROR] ") +
                                why + " SQLSTATE: 42000"};
  return false;
}

void dbx_change_result(sqlite3* db, const std::string& statement, dbx_result& out) {
  const std::string verb = first_word(statement);
  const std::int64_t changed = sqlite3_changes(db);
  if (verb == "INSERT")
    dbx_counts(out, {{"num_affected_rows", changed}, {"num_inserted_rows", changed}});
  else if (verb == "UPDATE" || verb == "DELETE")
    dbx_counts(out, {{"num_affected_rows", changed}});
}

}  // namespace backflow::emulators
