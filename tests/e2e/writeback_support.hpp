// Helpers shared by the write-back suites (writeback_test.cpp, writeback_servers_test.cpp).
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include "pipelines/core/crypto.hpp"

namespace backflow::testing::writeback {

using cells = std::vector<std::optional<std::string>>;
using table_rows = std::vector<cells>;

inline const std::string secret = "whsec_" + backflow::base64_encode("e2e-writeback-secret");

/// Runs `sql` on the SQLite file `path`; the rows it returns, as text (nullopt for NULL).
inline table_rows sqlite_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  table_rows out;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sqlite3_errmsg(db) << " in " << sql);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    cells row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i)
      row.push_back(sqlite3_column_type(stmt, i) == SQLITE_NULL
                        ? std::nullopt
                        : std::optional<std::string>(
                              reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))));
    out.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

inline void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, message << " in " << sql);
}

/// Rows as text, for failure messages.
inline std::string show(const table_rows& rows) {
  std::ostringstream out;
  for (const auto& row : rows) {
    out << "\n  (";
    for (const auto& c : row)
      out << (c ? "'" + *c + "'" : std::string("NULL")) << " ";
    out << ")";
  }
  return out.str();
}

inline std::string hash(const std::string& key) { return backflow::sha256_hex(key); }

}  // namespace backflow::testing::writeback
