// The mysql adapter: a database of the test MariaDB server.
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include "tests/sources/mariadb_server.hpp"

namespace backflow::testing {
namespace {

/// A database of the test MariaDB server.
class mysql_warehouse final : public test_warehouse {
 public:
  void exec(const std::string& sql) override { server_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override { return server_.options(); }

 private:
  mariadb_server server_;
};

}  // namespace

source_adapter mysql_adapter() {
  source_adapter a;
  a.type = "mysql";
  a.open = [](const temp_dir&) { return std::make_unique<mysql_warehouse>(); };
  a.create_edges = {
      "CREATE TABLE edges (id INT, int_2_53_plus_1 BIGINT, int64_max BIGINT, int64_min BIGINT, "
      "uint64_max BIGINT UNSIGNED, dec38 DECIMAL(38,10), dec38_negative DECIMAL(38,10), "
      "dec_small_scale DECIMAL(4,2), real_negative_zero DOUBLE, date_before_1970 DATE, "
      "ts_before_1970 DATETIME, ts_dst_spring TIMESTAMP NULL, ts_dst_autumn TIMESTAMP NULL, "
      "bool_true BOOLEAN, bool_false BOOLEAN, text_null TEXT, text_empty TEXT, text_4byte TEXT, "
      "text_combining TEXT, json JSON, text_100k MEDIUMTEXT)",
      "SET time_zone = '+02:00'",  // the zone TIMESTAMP input is read in; Paris in summer
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, -9223372036854775808, "
      "18446744073709551615, " + dec38() + ", -" + dec38() + ", -0.50, -0e0, '1969-07-20', "
      "'1969-12-31 23:59:59', '2024-03-31 03:30:00', "
      "CONVERT_TZ('2024-10-27 02:30:00', '+01:00', '+02:00'), TRUE, FALSE, NULL, '', '" +
          text_4byte() + "', CONCAT('e', _utf16 0x0301), '" + json_text() + "', REPEAT('ab', 51200))",
      "SET time_zone = '+00:00'"};
  a.cannot = {
      {"bool_true", "MySQL has no boolean type: BOOLEAN is TINYINT(1), read as the integer 1 "
                    "(the user maps it with a transform)"},
      {"bool_false", "MySQL has no boolean type: BOOLEAN is TINYINT(1), read as the integer 0"},
      {"ts_before_1970", "TIMESTAMP starts at 1970-01-01 00:00:01 UTC; a DATETIME holds the "
                         "earlier instant without a zone (1969-12-31T23:59:59)"}};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts (n INT PRIMARY KEY, email VARCHAR(64), first_name VARCHAR(64), "
        "score DOUBLE, tier VARCHAR(8))",
        "INSERT INTO contacts SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', "
        "seq), seq % 100, IF(seq % 2 = 1, 'gold', 'silver') FROM seq_1_to_" + std::to_string(rows)};
  };
  a.failing_query = [](int bad_row) {  // a scalar subquery with two rows is an error
    std::string n = std::to_string(bad_row);
    return "SELECT email, first_name, CASE WHEN c.n = " + n + " THEN (SELECT 1 FROM seq_1_to_2 "
           "WHERE c.n = " + n + ") ELSE score END AS score, tier FROM contacts c";
  };
  return a;
}

}  // namespace backflow::testing
