// The clickhouse adapter: a database of the test ClickHouse server.
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/sources/clickhouse_server.hpp"

namespace backflow::testing {
namespace {

/// A database of the test ClickHouse server. ClickHouse has no DELETE statement (18.16): a
/// "DELETE FROM t WHERE c" runs as the mutation "ALTER TABLE t DELETE WHERE c", which runs in
/// the background, and is waited for.
class clickhouse_warehouse final : public test_warehouse {
 public:
  void exec(const std::string& sql) override {
    const std::string del = "DELETE FROM ";
    if (sql.rfind(del, 0) != 0) {
      server_.exec(sql);
      return;
    }
    size_t where = sql.find(" WHERE ");
    std::string table = sql.substr(del.size(), where - del.size());
    server_.exec("ALTER TABLE " + table + " DELETE" +
                 (where == std::string::npos ? std::string(" WHERE 1") : sql.substr(where)));
    for (int i = 0; i < 300; ++i) {
      if (server_.exec("SELECT count() FROM system.mutations WHERE database = '{d}' AND table = '" +
                       table + "' AND is_done = 0") == "0\n")
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("clickhouse: the mutation of " + sql + " did not finish in 6 s");
  }
  [[nodiscard]] nlohmann::json options() const override { return server_.options(); }

 private:
  clickhouse_server server_;
};

}  // namespace

source_adapter clickhouse_adapter() {
  source_adapter a;
  a.type = "clickhouse";
  a.open = [](const temp_dir&) { return std::make_unique<clickhouse_warehouse>(); };
  // INSERT ... SELECT with typed conversions: VALUES would read big decimals through a double.
  a.create_edges = {
      "CREATE TABLE edges (id UInt8, int_2_53_plus_1 Int64, int64_max Int64, int64_min Int64, "
      "uint64_max UInt64, dec38 Decimal(38, 10), dec38_negative Decimal(38, 10), "
      "dec_small_scale Decimal(4, 2), real_negative_zero Float64, date_before_1970 Date, "
      "ts_before_1970 DateTime, ts_dst_spring DateTime('Europe/Paris'), "
      "ts_dst_autumn DateTime('Europe/Paris'), bool_true UInt8, bool_false UInt8, "
      "text_null Nullable(String), text_empty String, text_4byte String, text_combining String, "
      "json String, text_100k String) ENGINE = Memory",
      "INSERT INTO edges SELECT 1, toInt64('9007199254740993'), toInt64('9223372036854775807'), "
      "toInt64('-9223372036854775808'), toUInt64('18446744073709551615'), toDecimal128('" +
          dec38() + "', 10), toDecimal128('-" + dec38() + "', 10), toDecimal32('-0.50', 2), -0., "
      "toDate('1969-07-20'), toDateTime('1969-12-31 23:59:59', 'UTC'), "
      "toDateTime('2024-03-31 03:30:00', 'Europe/Paris'), toDateTime('2024-10-27 01:30:00', 'UTC'), "
      "1, 0, NULL, '', '" + text_4byte() + "', 'e\xCC\x81', '" + json_text() + "', "
      "arrayStringConcat(arrayMap(x -> 'ab', range(51200)))"};
  const std::string before_1970 =
      "ClickHouse 18.16 counts Date and DateTime from 1970-01-01 (no Date32 or DateTime64): an "
      "earlier value is clamped or wrapped by the server itself";
  a.cannot = {
      {"date_before_1970", before_1970},
      {"ts_before_1970", before_1970},
      {"ts_dst_autumn", "ClickHouse 18.16 prints a DateTime('Europe/Paris') as wall-clock text "
                        "without its offset (no date_time_output_format): the second 02:30 of "
                        "the autumn change reads as the first, 00:30 UTC"},
      {"bool_true", "ClickHouse 18.16 has no boolean type: a UInt8, read as the integer 1 (the "
                    "user maps it with a transform)"},
      {"bool_false", "ClickHouse 18.16 has no boolean type: a UInt8, read as the integer 0"}};
  a.create_contacts = [](int rows) {
    // first_name is padded: ClickHouse sends its answer in 1 MB buffers, and a failure before
    // the first one left the server is a failed query (HTTP 500), not a failure mid-stream.
    return std::vector<std::string>{
        "CREATE TABLE contacts (n UInt32, email String, first_name String, score Float64, "
        "tier String) ENGINE = MergeTree ORDER BY n",
        "INSERT INTO contacts SELECT number + 1 AS n, concat('user', toString(n), "
        "'@example.com'), concat('User ', toString(n), ' ', arrayStringConcat(arrayMap(x -> "
        "'.', range(400)))), n % 100, if(n % 2 = 1, 'gold', 'silver') FROM numbers(" +
            std::to_string(rows) + ")"};
  };
  a.failing_query = [](int bad_row) {  // throwIf fails the block holding the row
    // One thread and small blocks: rows stream in order of n, the block with bad_row late.
    return "SELECT email, first_name, score + throwIf(n = " + std::to_string(bad_row) +
           ") AS score, tier FROM contacts SETTINGS max_threads = 1, max_block_size = 500";
  };
  return a;
}

}  // namespace backflow::testing
