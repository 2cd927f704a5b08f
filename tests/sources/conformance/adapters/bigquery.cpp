// The bigquery adapter: a SQLite file served by backflow-emulator bigquery (REST API v2).
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include "tests/support/emulator_process.hpp"

namespace backflow::testing {
namespace {

/// A SQLite file served by `backflow-emulator bigquery` (jobs.query, then getQueryResults pages
/// of 1000 rows), read with a given access token.
class bigquery_warehouse final : public test_warehouse {
 public:
  static constexpr int page_rows = 1000;
  explicit bigquery_warehouse(const temp_dir& dir)
      : file_(dir),
        emulator_("bigquery", {"--database", file_.path(), "--token", token(), "--page-rows",
                               std::to_string(page_rows)}) {}
  void exec(const std::string& sql) override { file_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override {
    return {{"project", "conformance"}, {"endpoint", emulator_.url()},
            {"access_token", token()}};
  }
  /// BigQuery runs a query whole before it serves a row; what can fail is a late page: the
  /// getQueryResults GET of the one holding `bad_row` (jobs.query answers the first) is answered
  /// as an invalid query (400, not retried).
  void fail_late_read(int bad_row) override {
    emulator_.fault({{"match", {{"method", "GET"}, {"path_contains", "/queries/"}}},
                     {"nth", (bad_row - 1) / page_rows},
                     {"status", 400},
                     {"body", {{"error", {{"code", 400},
                                          {"message", "Query failed mid-stream"},
                                          {"status", "INVALID_ARGUMENT"},
                                          {"errors", {{{"reason", "invalidQuery"},
                                                       {"message", "Query failed mid-stream"}}}}}}}}});
  }

 private:
  static std::string token() { return "ya29.conformance-token"; }
  sqlite_warehouse file_;
  emulator_process emulator_;
};

}  // namespace

source_adapter bigquery_adapter() {
  source_adapter a;
  a.type = "bigquery";
  a.open = [](const temp_dir& dir) { return std::make_unique<bigquery_warehouse>(dir); };
  // Declared types whose first word is the BigQuery type the emulator reports in schema.fields;
  // a second word TEXT gives the column SQLite's text affinity, keeping exact digits as written.
  a.create_edges = {
      "CREATE TABLE edges (id INT64, int_2_53_plus_1 INT64, int64_max INT64, int64_min INT64, "
      "uint64_max NUMERIC TEXT, dec38 BIGNUMERIC TEXT, dec38_negative BIGNUMERIC TEXT, "
      "dec_small_scale NUMERIC TEXT, real_negative_zero FLOAT64, date_before_1970 DATE, "
      "ts_before_1970 TIMESTAMP, ts_dst_spring TIMESTAMP, ts_dst_autumn TIMESTAMP, "
      "bool_true BOOL, bool_false BOOL, text_null STRING TEXT, text_empty STRING TEXT, "
      "text_4byte STRING TEXT, text_combining STRING TEXT, json JSON, text_100k STRING TEXT)",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, "
      "-9223372036854775807 - 1, '18446744073709551615', '" + dec38() + "', '-" + dec38() + "', "
      "'-0.50', -0.0, '1969-07-20', '1969-12-31 23:59:59', '2024-03-31 03:30:00+02:00', "
      "'2024-10-27 02:30:00+01:00', 1, 0, NULL, '', '" + text_4byte() + "', 'e' || char(769), '" +
          json_text() + "', replace(hex(zeroblob(51200)), '00', 'ab'))"};
  a.cannot = {{"dec_small_scale",
               "BigQuery's NUMERIC has a fixed scale of 9 and its text drops trailing zeros: "
               "-0.50 is stored as -0.500000000 and returned as \"-0.5\" (the same number)"}};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts (n INT64, email STRING TEXT, first_name STRING TEXT, "
        "score FLOAT64, tier STRING TEXT)",
        "INSERT INTO contacts WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < " + std::to_string(rows) + ") SELECT n, 'user' || n || '@example.com', "
        "'User ' || n, n % 100, CASE WHEN n % 2 = 1 THEN 'gold' ELSE 'silver' END FROM s"};
  };
  a.failing_query = [](int) {  // fails by fail_late_read: a query fails whole or not at all
    return std::string("SELECT email, first_name, score, tier FROM contacts ORDER BY n");
  };
  return a;
}

}  // namespace backflow::testing
