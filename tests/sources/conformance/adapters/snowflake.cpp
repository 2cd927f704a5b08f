// The snowflake adapter: a SQLite file served by backflow-emulator snowflake.
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include <cstdlib>
#include <stdexcept>

#include "tests/support/emulator_process.hpp"

namespace backflow::testing {
namespace {

/// The Snowflake user's RSA key pair, made once per process by the openssl command.
struct snowflake_key_pair {
  temp_dir dir;
  std::string key = dir.file("snowflake_key.pem");
  std::string public_key = dir.file("snowflake_key.pub");
  snowflake_key_pair() {
    std::string made = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key +
                       " 2>/dev/null && openssl pkey -in " + key + " -pubout -out " + public_key;
    if (std::system(made.c_str()) != 0)
      throw std::runtime_error("cannot make an RSA key pair: " + made);
  }
};

/// A SQLite file served by `backflow-emulator snowflake` (the SQL API v2, the key-pair JWT
/// verified against the user's public key), in partitions of 1000 rows.
class snowflake_warehouse final : public test_warehouse {
 public:
  static constexpr int partition_rows = 1000;
  explicit snowflake_warehouse(const temp_dir& dir)
      : file_(dir),
        emulator_("snowflake", {"--database", file_.path(), "--public-key", keys().public_key,
                                "--account", "conformance", "--user", "reader",
                                "--partition-rows", std::to_string(partition_rows)}) {}
  void exec(const std::string& sql) override { file_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override {
    return {{"account", "conformance"}, {"user", "reader"}, {"url", emulator_.url()},
            {"private_key_file", keys().key}, {"warehouse", "CONFORMANCE_WH"},
            // One partition at a time, so that the nth partition GET is partition n and the
            // late failure lands on the same row every run (test_snowflake_source covers the
            // partitions fetched several at once).
            {"partitions_in_flight", 1}};
  }
  /// Snowflake runs a statement whole before it serves a row, so no row can fail it
  /// mid-stream; what can is a late partition: the GET of the one holding `bad_row` is answered
  /// as a statement cancelled under the reader (not retried).
  void fail_late_read(int bad_row) override {
    emulator_.fault({{"match", {{"method", "GET"}, {"path_contains", "/api/v2/statements/"}}},
                     {"nth", (bad_row - 1) / partition_rows},
                     {"status", 422},
                     {"body", {{"code", "000604"}, {"sqlState", "57014"},
                               {"message", "SQL execution canceled"}}}});
  }

 private:
  static const snowflake_key_pair& keys() {
    static const snowflake_key_pair made;
    return made;
  }
  sqlite_warehouse file_;
  emulator_process emulator_;
};

}  // namespace

source_adapter snowflake_adapter() {
  source_adapter a;
  a.type = "snowflake";
  a.open = [](const temp_dir& dir) { return std::make_unique<snowflake_warehouse>(dir); };
  // Declared Snowflake types, which the emulator reports in rowType (the suite's query names
  // bare columns, so no "::TYPE" alias can carry them). The numbers past 64 bits are stored as
  // blobs: SQLite's NUMERIC affinity would round text digits to a double.
  a.create_edges = {
      "CREATE TABLE edges (id NUMBER(38,0), int_2_53_plus_1 NUMBER(38,0), "
      "int64_max NUMBER(38,0), int64_min NUMBER(38,0), uint64_max NUMBER(20,0), "
      "dec38 NUMBER(38,10), dec38_negative NUMBER(38,10), dec_small_scale NUMBER(4,2), "
      "real_negative_zero FLOAT, date_before_1970 DATE, ts_before_1970 TIMESTAMP_LTZ, "
      "ts_dst_spring TIMESTAMP_TZ, ts_dst_autumn TIMESTAMP_TZ, bool_true BOOLEAN, "
      "bool_false BOOLEAN, text_null VARCHAR, text_empty VARCHAR, text_4byte VARCHAR, "
      "text_combining VARCHAR, json VARIANT, text_100k VARCHAR)",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, "
      "-9223372036854775807 - 1, CAST('18446744073709551615' AS BLOB), CAST('" + dec38() +
          "' AS BLOB), CAST('-" + dec38() + "' AS BLOB), '-0.50', -0.0, '1969-07-20', "
      "'1969-12-31 23:59:59', '2024-03-31 03:30:00+02:00', '2024-10-27 02:30:00+01:00', 1, 0, "
      "NULL, '', '" + text_4byte() + "', 'e' || char(769), '" + json_text() + "', "
      "replace(hex(zeroblob(51200)), '00', 'ab'))"};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts (n NUMBER(38,0), email VARCHAR, first_name VARCHAR, score FLOAT, "
        "tier VARCHAR)",
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
