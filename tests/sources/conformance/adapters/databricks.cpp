// The databricks adapter: a SQLite file served by backflow-emulator databricks (Statement
// Execution API 2.0).
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include "tests/support/emulator_process.hpp"

namespace backflow::testing {
namespace {

/// A SQLite file served by `backflow-emulator databricks` (a personal access token, one
/// warehouse), in chunks of 1000 rows.
class databricks_warehouse final : public test_warehouse {
 public:
  static constexpr int chunk_rows = 1000;
  explicit databricks_warehouse(const temp_dir& dir)
      : file_(dir),
        emulator_("databricks", {"--database", file_.path(), "--token", token(), "--warehouse-id",
                                 "wh", "--chunk-rows", std::to_string(chunk_rows)}) {}
  void exec(const std::string& sql) override { file_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override {
    // One chunk at a time, so that the nth chunk GET is chunk n and the late failure lands on
    // the same row every run (test_databricks_source covers chunks fetched several at once).
    return {{"host", emulator_.url()}, {"warehouse_id", "wh"}, {"token", token()},
            {"chunks_in_flight", 1}};
  }
  /// A statement runs whole before its result is served; what can fail is a late chunk: the
  /// GET of the chunk holding `bad_row` (the statement's answer holds the first) is answered
  /// 400 (not retried).
  void fail_late_read(int bad_row) override {
    emulator_.fault({{"match", {{"path_contains", "/result/chunks/"}}},
                     {"nth", (bad_row - 1) / chunk_rows},
                     {"status", 400},
                     {"body", {{"error_code", "BAD_REQUEST"},
                               {"message", "The chunk failed mid-stream"}}}});
  }

 private:
  static std::string token() { return "dapi-conformance-token"; }
  sqlite_warehouse file_;
  emulator_process emulator_;
};

}  // namespace

source_adapter databricks_adapter() {
  source_adapter a;
  a.type = "databricks";
  a.open = [](const temp_dir& dir) { return std::make_unique<databricks_warehouse>(dir); };
  // Declared Databricks types, which the emulator reports in manifest.schema.columns. The numbers
  // past 64 bits are stored as blobs: SQLite's NUMERIC affinity would round text digits to a
  // double.
  a.create_edges = {
      "CREATE TABLE edges (id BIGINT, int_2_53_plus_1 BIGINT, int64_max BIGINT, int64_min BIGINT, "
      "uint64_max DECIMAL(20,0), dec38 DECIMAL(38,10), dec38_negative DECIMAL(38,10), "
      "dec_small_scale DECIMAL(4,2), real_negative_zero DOUBLE, date_before_1970 DATE, "
      "ts_before_1970 TIMESTAMP, ts_dst_spring TIMESTAMP, ts_dst_autumn TIMESTAMP, "
      "bool_true BOOLEAN, bool_false BOOLEAN, text_null STRING, text_empty STRING, "
      "text_4byte STRING, text_combining STRING, json STRING, text_100k STRING)",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, "
      "-9223372036854775807 - 1, CAST('18446744073709551615' AS BLOB), CAST('" + dec38() +
          "' AS BLOB), CAST('-" + dec38() + "' AS BLOB), '-0.50', -0.0, '1969-07-20', "
      "'1969-12-31 23:59:59', '2024-03-31 03:30:00+02:00', '2024-10-27 02:30:00+01:00', 1, 0, "
      "NULL, '', '" + text_4byte() + "', 'e' || char(769), '" + json_text() + "', "
      "replace(hex(zeroblob(51200)), '00', 'ab'))"};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts (n BIGINT, email STRING, first_name STRING, score DOUBLE, "
        "tier STRING)",
        "INSERT INTO contacts WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < " + std::to_string(rows) + ") SELECT n, 'user' || n || '@example.com', "
        "'User ' || n, n % 100, CASE WHEN n % 2 = 1 THEN 'gold' ELSE 'silver' END FROM s"};
  };
  a.failing_query = [](int) {  // fails by fail_late_read: a statement fails whole or not at all
    return std::string("SELECT email, first_name, score, tier FROM contacts ORDER BY n");
  };
  return a;
}

}  // namespace backflow::testing
