// The BigQuery emulator's writes (see bigquery_dml.hpp).
#include "emulators/bigquery_dml.hpp"

#include <sqlite3.h>

#include <cstdint>

#include "emulators/sqlite_writes.hpp"

namespace backflow::emulators {
namespace {

nlohmann::json bq_dml(std::int64_t inserted, std::int64_t updated, std::int64_t deleted) {
  return {{"numDmlAffectedRows", std::to_string(inserted + updated + deleted)},
          {"dmlStats",
           {{"insertedRowCount", std::to_string(inserted)},
            {"updatedRowCount", std::to_string(updated)},
            {"deletedRowCount", std::to_string(deleted)}}}};
}

}  // namespace

std::optional<bool> run_bq_write(sqlite3* db, const std::string& database,
                                 const std::string& query, const nlohmann::json& parameters,
                                 bq_result& out, bq_error& error) {
  bool if_not_exists = false;
  if (auto dataset = schema_created_by(query, if_not_exists)) {
    bool existed = false;
    std::string why;
    if (!create_schema_file(db, database, *dataset, existed, why)) {
      error = {400, "invalid", "Invalid dataset: " + why};
      return false;
    }
    if (existed && !if_not_exists) {
      error = {409, "duplicate", "Already Exists: Dataset " + *dataset};
      return false;
    }
    return true;
  }
  if (!is_merge(query))
    return std::nullopt;
  std::string why;
  auto merge = translate_merge(query, why);
  merge_counts counts;
  if (merge && run_merge(db, *merge,
                         [&](sqlite3_stmt* s) {
                           bq_error ignored;
                           return bq_bind_parameters(s, parameters, ignored);
                         },
                         counts, why)) {
    out.dml = bq_dml(counts.inserted, counts.updated, 0);
    return true;
  }
  if (why == "duplicate")
    error = {400, "invalidQuery",
             "UPDATE/MERGE must match at most one source row for each target row"};
  else if (why.rfind("no such table: ", 0) == 0)
    error = {404, "notFound", "Not found: Table " + why.substr(15) + " was not found in location US"};
  else
    error = {400, "invalidQuery", "Syntax error: " + why + " at [1:1]"};
  return false;
}

void bq_change_result(sqlite3* db, const std::string& query, bq_result& out) {
  const std::string verb = first_word(query);
  const std::int64_t changed = sqlite3_changes(db);
  if (verb == "INSERT")
    out.dml = bq_dml(changed, 0, 0);
  else if (verb == "UPDATE")
    out.dml = bq_dml(0, changed, 0);
  else if (verb == "DELETE")
    out.dml = bq_dml(0, 0, changed);
}

}  // namespace backflow::emulators
