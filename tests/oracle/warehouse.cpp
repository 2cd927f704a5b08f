// The oracle's SQLite model table (see warehouse.hpp).
#include "tests/oracle/warehouse.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <stdexcept>

namespace backflow::oracle {

std::string cell::show() const {
  switch (type) {
    case kind::null:
      return "NULL";
    case kind::text:
      return '"' + text + '"';
    default:
      return text;
  }
}

const std::vector<std::pair<std::string, std::string>>& model_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"k1", "TEXT"},     {"k2", "TEXT"},    {"email", "TEXT"}, {"fn", "TEXT"},
      {"ln", "TEXT"},     {"phone", "TEXT"}, {"score", "REAL"}, {"big", "INTEGER"},
      {"amount", "TEXT"}, {"tier", "TEXT"},  {"note", "TEXT"}};
  return columns;
}

warehouse::warehouse(std::string path) : path_(std::move(path)) {
  if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("oracle: cannot create " + path_);
  std::string ddl = "CREATE TABLE people (";
  for (const auto& [name, type] : model_columns())
    ddl += (ddl.back() == '(' ? "" : ", ") + name + " " + type;
  exec(ddl + ")");
}

warehouse::~warehouse() {
  sqlite3_close(db_);
}

void warehouse::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("oracle: sqlite: " + message + " in " + sql.substr(0, 200));
  }
}

void warehouse::write() {
  exec("BEGIN");
  exec("DELETE FROM people");
  std::string sql = "INSERT INTO people VALUES (";
  for (std::size_t i = 0; i < model_columns().size(); ++i)
    sql += i == 0 ? "?" : ", ?";
  sql += ")";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    throw std::runtime_error("oracle: cannot prepare the insert");
  for (const auto& r : rows_) {
    int index = 1;
    for (const auto& [name, type] : model_columns()) {
      auto it = r.find(name);
      const cell value = it == r.end() ? cell::null() : it->second;
      switch (value.type) {
        case cell::kind::null:
          sqlite3_bind_null(stmt, index);
          break;
        case cell::kind::text:
          sqlite3_bind_text(stmt, index, value.text.data(), static_cast<int>(value.text.size()),
                            SQLITE_TRANSIENT);
          break;
        case cell::kind::integer:
          sqlite3_bind_int64(stmt, index, std::strtoll(value.text.c_str(), nullptr, 10));
          break;
        case cell::kind::real:
          sqlite3_bind_double(stmt, index, std::strtod(value.text.c_str(), nullptr));
          break;
      }
      ++index;
    }
    if (sqlite3_step(stmt) != SQLITE_DONE)
      throw std::runtime_error(std::string("oracle: insert failed: ") + sqlite3_errmsg(db_));
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  exec("COMMIT");
}

}  // namespace backflow::oracle
