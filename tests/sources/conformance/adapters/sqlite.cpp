// The sqlite adapter, and what the adapters share (unique names, the SQLite warehouse, edge values).
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace backflow::testing {

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

sqlite_warehouse::sqlite_warehouse(const temp_dir& dir)
    : path_(dir.file(unique_name("w") + ".sqlite")) {
  if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot create " + path_);
}

sqlite_warehouse::~sqlite_warehouse() { sqlite3_close(db_); }

void sqlite_warehouse::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + message + " in: " + sql.substr(0, 300));
  }
}

std::string dec38() { return "1234567890123456789012345678.9012345678"; }
std::string text_4byte() { return "\xF0\x9D\x84\x9E\xF0\x9F\x8E\x89"; }  // U+1D11E U+1F389
std::string json_text() { return R"({"a":[1,2.5,"é"],"b":null})"; }

source_adapter sqlite_adapter() {
  source_adapter a;
  a.type = "sqlite";
  a.open = [](const temp_dir& dir) { return std::make_unique<sqlite_warehouse>(dir); };
  a.create_edges = {
      "CREATE TABLE edges (id INTEGER, int_2_53_plus_1 INTEGER, int64_max INTEGER, "
      "int64_min INTEGER, uint64_max TEXT, dec38 TEXT, dec38_negative TEXT, dec_small_scale TEXT, "
      "real_negative_zero REAL, date_before_1970 DATE, ts_before_1970 TIMESTAMP, "
      "ts_dst_spring TIMESTAMP, ts_dst_autumn TIMESTAMP, bool_true BOOLEAN, bool_false BOOLEAN, "
      "text_null TEXT, text_empty TEXT, text_4byte TEXT, text_combining TEXT, json TEXT, "
      "text_100k TEXT)",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, "
      "-9223372036854775807 - 1, '18446744073709551615', '" + dec38() + "', '-" + dec38() + "', "
      "'-0.50', -0.0, '1969-07-20', '1969-12-31T23:59:59+00:00', '2024-03-31T01:30:00+00:00', "
      "'2024-10-27T01:30:00+00:00', 1, 0, NULL, '', '" + text_4byte() + "', 'e' || char(769), '" +
          json_text() + "', replace(hex(zeroblob(51200)), '00', 'ab'))"};
  const std::string no_exact =
      "SQLite has no exact type past 64-bit integers: NUMERIC/DECIMAL affinity stores a REAL, "
      "so such a value is kept as TEXT and read as text";
  a.cannot = {{"uint64_max", no_exact}, {"dec38", no_exact}, {"dec38_negative", no_exact},
              {"dec_small_scale", no_exact}};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < " + std::to_string(rows) + ") SELECT n, 'user' || n || '@example.com' AS email, "
        "'User ' || n AS first_name, n % 100 AS score, CASE WHEN n % 2 = 1 THEN 'gold' ELSE "
        "'silver' END AS tier FROM s"};
  };
  a.failing_query = [](int bad_row) {  // malformed JSON is an error, not a NULL
    return "SELECT email, first_name, CASE WHEN n = " + std::to_string(bad_row) +
           " THEN json_extract('{' || n, '$') ELSE score END AS score, tier FROM contacts";
  };
  return a;
}

}  // namespace backflow::testing
