// What the conformance adapters share: unique names, the SQLite and PostgreSQL warehouses, the
// edge values every dialect inserts, and each adapter's function (one file per warehouse).
#pragma once

#include <memory>
#include <string>

#include "tests/sources/conformance/source_adapter.hpp"

struct sqlite3;

namespace backflow::testing {

/// `prefix` + the process id + a counter: a name no other test process or warehouse uses.
std::string unique_name(const std::string& prefix);

/// A fresh SQLite file in `dir`; also the file an emulator (snowflake, bigquery, databricks)
/// serves.
class sqlite_warehouse final : public test_warehouse {
 public:
  explicit sqlite_warehouse(const temp_dir& dir);
  ~sqlite_warehouse() override;
  sqlite_warehouse(const sqlite_warehouse&) = delete;
  sqlite_warehouse& operator=(const sqlite_warehouse&) = delete;
  void exec(const std::string& sql) override;
  [[nodiscard]] nlohmann::json options() const override { return {{"path", path_}}; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

/// A fresh schema of the test PostgreSQL server (options: its `dsn`).
std::unique_ptr<test_warehouse> open_postgres_warehouse();

// Functions, not globals: the test's data sets read the adapters during static initialisation.
std::string dec38();       ///< 38 digits, 10 after the point
std::string text_4byte();  ///< U+1D11E U+1F389 in UTF-8
std::string json_text();   ///< a JSON object with an array, a float, Unicode and null

/// One per file of adapters/, listed in source_adapters() (source_adapters.cpp).
source_adapter sqlite_adapter();
source_adapter postgres_adapter();
source_adapter mysql_adapter();
source_adapter clickhouse_adapter();
source_adapter redshift_adapter();
source_adapter snowflake_adapter();
source_adapter bigquery_adapter();
source_adapter databricks_adapter();

}  // namespace backflow::testing
