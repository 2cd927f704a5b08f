// The redshift adapter: Redshift's statements and types on the test PostgreSQL server.
#include "tests/sources/conformance/adapters/adapter_support.hpp"

namespace backflow::testing {
namespace {

/// The test PostgreSQL standing in for a Redshift cluster, which exists only as a cloud
/// service: the `redshift` type requires SSL unless told otherwise, and the test server has none.
class redshift_warehouse final : public test_warehouse {
 public:
  void exec(const std::string& sql) override { pg_->exec(sql); }
  [[nodiscard]] nlohmann::json options() const override {
    return {{"dsn", pg_->options()["dsn"].get<std::string>() + " sslmode=disable"}};
  }

 private:
  std::unique_ptr<test_warehouse> pg_ = open_postgres_warehouse();
};

}  // namespace

/// Redshift's statements and types, run on the test PostgreSQL (docs/connectors/redshift.md):
/// the edge table uses only types both have, typed as a Redshift table would be.
source_adapter redshift_adapter() {
  source_adapter a = postgres_adapter();
  a.type = "redshift";
  a.open = [](const temp_dir&) { return std::make_unique<redshift_warehouse>(); };
  a.create_edges = {
      "CREATE TABLE edges (id INTEGER, int_2_53_plus_1 BIGINT, int64_max BIGINT, "
      "int64_min BIGINT, uint64_max DECIMAL(20,0), dec38 DECIMAL(38,10), "
      "dec38_negative DECIMAL(38,10), dec_small_scale DECIMAL(4,2), "
      "real_negative_zero DOUBLE PRECISION, date_before_1970 DATE, ts_before_1970 TIMESTAMPTZ, "
      "ts_dst_spring TIMESTAMPTZ, ts_dst_autumn TIMESTAMPTZ, bool_true BOOLEAN, "
      "bool_false BOOLEAN, text_null VARCHAR(16), text_empty VARCHAR(16), "
      "text_4byte VARCHAR(16), text_combining VARCHAR(16), json VARCHAR(256), "
      "text_100k VARCHAR(65535))",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, -9223372036854775808, "
      "18446744073709551615, " + dec38() + ", -" + dec38() + ", -0.50, '-0', '1969-07-20', "
      "'1969-12-31 23:59:59+00', '2024-03-31 03:30:00 Europe/Paris', '2024-10-27 02:30:00+01', "
      "true, false, NULL, '', '" + text_4byte() + "', 'e\xCC\x81', '" + json_text() + "', "
      "repeat('ab', 32767))"};
  a.cannot = {{"text_100k", "Redshift's VARCHAR holds at most 65535 bytes: 100 KB of text "
                            "cannot be a column value there"}};
  return a;
}

}  // namespace backflow::testing
