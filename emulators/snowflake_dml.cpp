// The Snowflake emulator's writes (see snowflake_dml.hpp).
#include "emulators/snowflake_dml.hpp"

#include <sqlite3.h>

#include <utility>
#include <vector>

#include "emulators/sqlite_writes.hpp"

namespace backflow::emulators {
namespace {

/// A one-row result: each column a name, its Snowflake type and the value.
void snow_one_row(snow_result& out, const std::vector<std::pair<std::string, std::string>>& cells,
             bool fixed) {
  nlohmann::json row = nlohmann::json::array();
  for (const auto& [name, value] : cells) {
    nlohmann::json none = nullptr;
    out.row_type.push_back({{"name", name}, {"database", ""}, {"schema", ""}, {"table", ""},
                            {"nullable", false}, {"type", fixed ? "fixed" : "text"},
                            {"precision", fixed ? nlohmann::json(19) : none},
                            {"scale", fixed ? nlohmann::json(0) : none},
                            {"length", fixed ? none : nlohmann::json(16777216)},
                            {"byteLength", fixed ? none : nlohmann::json(16777216)},
                            {"collation", none}});
    row.push_back(value);
  }
  out.partitions.push_back(nlohmann::json::array({row}).dump());
  out.partition_rows.push_back(1);
  out.rows = 1;
}

void snow_identity(sqlite3_context* ctx, int, sqlite3_value** args) { sqlite3_result_value(ctx, args[0]); }

}  // namespace

void snow_register_functions(sqlite3* db) {
  sqlite3_create_function(db, "TO_TIMESTAMP_TZ", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          snow_identity, nullptr, nullptr);
}

std::optional<bool> run_snow_write(sqlite3* db, const std::string& database,
                                   const std::string& statement, const nlohmann::json& bindings,
                                   snow_result& out, snow_error& error) {
  bool if_not_exists = false;
  if (auto schema = schema_created_by(statement, if_not_exists)) {
    bool existed = false;
    std::string why;
    if (!create_schema_file(db, database, *schema, existed, why)) {
      error = {"001003", "42000", "SQL compilation error:\n" + why};
      return false;
    }
    if (existed && !if_not_exists) {
      error = {"002002", "42710", "SQL compilation error:\nObject '" + *schema + "' already exists."};
      return false;
    }
    snow_one_row(out, {{"status", existed ? *schema + " already exists, statement succeeded."
                                     : "Schema " + *schema + " successfully created."}},
            false);
    return true;
  }
  if (!is_merge(statement))
    return std::nullopt;
  std::string why;
  auto merge = translate_merge(statement, why);
  merge_counts counts;
  if (merge && run_merge(db, *merge, [&](sqlite3_stmt* s) { return snow_bind_all(s, bindings); },
                         counts, why)) {
    snow_one_row(out, {{"number of rows inserted", std::to_string(counts.inserted)},
                  {"number of rows updated", std::to_string(counts.updated)}},
            true);
    return true;
  }
  if (why == "duplicate")
    error = {"100090", "42P18", "Duplicate row detected during DML action"};
  else
    error = {why.find("no such") != std::string::npos ? "002003" : "001003", "42000",
             "SQL compilation error:\n" + why};
  return false;
}

bool snow_change_result(sqlite3* db, const std::string& statement, snow_result& out) {
  const std::string verb = first_word(statement);
  const std::string changed = std::to_string(sqlite3_changes(db));
  if (verb == "INSERT")
    snow_one_row(out, {{"number of rows inserted", changed}}, true);
  else if (verb == "DELETE")
    snow_one_row(out, {{"number of rows deleted", changed}}, true);
  else if (verb == "UPDATE")
    snow_one_row(out, {{"number of rows updated", changed}, {"number of multi-joined rows updated", "0"}},
            true);
  else
    snow_one_row(out, {{"status", "Statement executed successfully."}}, false);
  return true;
}

}  // namespace backflow::emulators
