// Measures how fast the SQLite source reads a generated model: sqlite_source_bench FILE [ROWS].
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "connectors/sources/source.hpp"

using namespace backflow;

namespace {

constexpr const char* query = "SELECT id, email, score, tier, updated_at FROM users";

/// Fills `path` with `rows` users unless it exists already.
bool generate(const std::string& path, long rows) {
  if (std::filesystem::exists(path))
    return true;
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
    return false;
  std::string sql =
      "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, score REAL, tier TEXT, "
      "updated_at TIMESTAMP);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
      std::to_string(rows) +
      ") INSERT INTO users SELECT x, 'user' || x || '@example.com', (x % 1000) / 10.0, "
      "CASE x % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'bronze' END, "
      "datetime(1704448800 + x, 'unixepoch') FROM c;";
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK)
    std::fprintf(stderr, "generate: %s\n", err);
  sqlite3_free(err);
  sqlite3_close(db);
  return rc == SQLITE_OK;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [ROWS]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  long rows = argc > 2 ? std::atol(argv[2]) : 1000000;
  if (!generate(path, rows))
    return 1;

  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto cursor = open_source(source_spec{"sqlite", {{"path", path}}, query});
    if (!cursor) {
      std::fprintf(stderr, "%s\n", cursor.error().message.c_str());
      return 1;
    }
    packed_rows out;
    size_t total = 0;
    size_t bytes = 0;
    for (;;) {
      out.clear();
      auto got = (*cursor)->fetch(out, 1000);
      if (!got) {
        std::fprintf(stderr, "%s\n", got.error().message.c_str());
        return 1;
      }
      if (*got == 0)
        break;
      total += *got;
      bytes += out.bytes.size();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("read %zu rows (%zu encoded bytes) in %.3f s: %.2f M rows/s\n", total, bytes, secs,
                static_cast<double>(total) / secs / 1e6);
  }
  return 0;
}
