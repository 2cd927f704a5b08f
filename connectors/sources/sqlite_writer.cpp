// Write-back into a SQLite file (see sqlite_writer.hpp).
#include "connectors/sources/sqlite_writer.hpp"

#include <sqlite3.h>

#include "connectors/sources/sql_writer.hpp"
#include "connectors/sources/write_transaction.hpp"

namespace backflow {
namespace {

struct writer_db_closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

/// SQLite has no schemas: the tables are "<schema>_sync_runs" and so on, in the file itself.
class sqlite_writer final : public sql_writer {
 public:
  sqlite_writer(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

 protected:
  std::string relation(const std::string& schema, const std::string& table) const override {
    return quote(schema + "_" + table);
  }
  std::vector<std::string> create_schema(const std::string&) const override { return {}; }
  std::string type_of(wb_kind kind, bool) const override {
    return kind == wb_kind::integer ? "INTEGER" : "TEXT";
  }

  status run_transaction(const std::vector<std::string>& statements) override {
    // IMMEDIATE takes the write lock up front: a busy file delays the batch instead of failing
    // it halfway through.
    auto exec_sql = [this](const std::string& sql) { return exec(sql); };
    return run_in_transaction("BEGIN IMMEDIATE", statements, exec_sql, exec_sql);
  }

 private:
  status exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK)
      return {};
    std::string why = error != nullptr ? error : sqlite3_errmsg(db_.get());
    sqlite3_free(error);
    return failure{"writeback: SQLite \"" + path_ + "\": " + why};
  }

  std::unique_ptr<sqlite3, writer_db_closer> db_;
  std::string path_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_sqlite_writer(const source_spec& spec) {
  auto path = spec.string_option("path");
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: a typo in the path is an error, not a new empty database.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, writer_db_closer> db(raw);
  if (rc != SQLITE_OK)
    return failure{"writeback: cannot open SQLite database \"" + path + "\" for writing: " +
                   (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  sqlite3_busy_timeout(raw, 10000);  // a reader or writer holding the lock briefly delays us
  return std::unique_ptr<warehouse_writer>(new sqlite_writer(db.release(), path));
}

}  // namespace backflow
