// The source conformance suite's adapters: the edge row and the contacts model in each dialect.
#include "tests/sources/conformance/source_adapter.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "tests/sources/clickhouse_server.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace backflow::testing {
namespace {

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

class sqlite_warehouse final : public test_warehouse {
 public:
  explicit sqlite_warehouse(const temp_dir& dir) : path_(dir.file(unique_name("w") + ".sqlite")) {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot create " + path_);
  }
  ~sqlite_warehouse() override { sqlite3_close(db_); }
  void exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err != nullptr ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + message + " in: " + sql.substr(0, 300));
    }
  }
  [[nodiscard]] nlohmann::json options() const override { return {{"path", path_}}; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

/// A schema of the test PostgreSQL server, made the search path of every connection to it.
class postgres_warehouse final : public test_warehouse {
 public:
  postgres_warehouse() : schema_(unique_name("bf_conf_")) {
    const char* file = std::getenv("BACKFLOW_TEST_PG_DSN_FILE");
    if (file == nullptr)
      throw std::runtime_error("BACKFLOW_TEST_PG_DSN_FILE is not set; run through ctest");
    std::string dsn = read_file(file);
    while (!dsn.empty() && (dsn.back() == '\n' || dsn.back() == ' '))
      dsn.pop_back();
    admin_ = PQconnectdb(dsn.c_str());
    if (PQstatus(admin_) != CONNECTION_OK)
      throw std::runtime_error("cannot connect to the test PostgreSQL: " +
                               std::string(PQerrorMessage(admin_)));
    exec("SET client_min_messages = warning");
    exec("CREATE SCHEMA " + schema_);
    exec("SET search_path = " + schema_);
    dsn_ = dsn + " options='-csearch_path=" + schema_ + "'";
  }
  ~postgres_warehouse() override {
    PQclear(PQexec(admin_, ("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE").c_str()));
    PQfinish(admin_);
  }
  void exec(const std::string& sql) override {
    PGresult* r = PQexec(admin_, sql.c_str());
    auto st = PQresultStatus(r);
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      throw std::runtime_error("postgres: " + err + " in: " + sql.substr(0, 300));
  }
  [[nodiscard]] nlohmann::json options() const override { return {{"dsn", dsn_}}; }

 private:
  std::string schema_;
  std::string dsn_;
  PGconn* admin_ = nullptr;
};

/// A database of the test MariaDB server.
class mysql_warehouse final : public test_warehouse {
 public:
  void exec(const std::string& sql) override { server_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override { return server_.options(); }

 private:
  mariadb_server server_;
};

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
            {"private_key_file", keys().key}, {"warehouse", "CONFORMANCE_WH"}};
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

// Functions, not globals: the test's data sets read the adapters during static initialisation.
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

source_adapter postgres_adapter() {
  source_adapter a;
  a.type = "postgres";
  a.open = [](const temp_dir&) { return std::make_unique<postgres_warehouse>(); };
  a.create_edges = {
      "CREATE TABLE edges (id int4, int_2_53_plus_1 int8, int64_max int8, int64_min int8, "
      "uint64_max numeric(20,0), dec38 numeric(38,10), dec38_negative numeric(38,10), "
      "dec_small_scale numeric(4,2), real_negative_zero float8, date_before_1970 date, "
      "ts_before_1970 timestamptz, ts_dst_spring timestamptz, ts_dst_autumn timestamptz, "
      "bool_true bool, bool_false bool, text_null text, text_empty text, text_4byte text, "
      "text_combining text, json json, text_100k text)",
      "INSERT INTO edges VALUES (1, 9007199254740993, 9223372036854775807, -9223372036854775808, "
      "18446744073709551615, " + dec38() + ", -" + dec38() + ", -0.50, '-0', '1969-07-20', "
      "'1969-12-31 23:59:59+00', '2024-03-31 03:30:00 Europe/Paris', '2024-10-27 02:30:00+01', "
      "true, false, NULL, '', '" + text_4byte() + "', U&'e\\0301', '" + json_text() + "', "
      "repeat('ab', 51200))"};
  a.create_contacts = [](int rows) {
    return std::vector<std::string>{
        "CREATE TABLE contacts AS SELECT n, 'user' || n || '@example.com' AS email, 'User ' || n "
        "AS first_name, (n % 100)::float8 AS score, CASE WHEN n % 2 = 1 THEN 'gold' ELSE "
        "'silver' END AS tier FROM generate_series(1, " + std::to_string(rows) + ") AS n"};
  };
  a.failing_query = [](int bad_row) {
    return "SELECT email, first_name, CASE WHEN n = " + std::to_string(bad_row) +
           " THEN score / (n - n) ELSE score END AS score, tier FROM contacts";
  };
  return a;
}

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

/// The test PostgreSQL standing in for a Redshift cluster, which exists only as a cloud
/// service: the `redshift` type requires SSL unless told otherwise, and the test server has none.
class redshift_warehouse final : public test_warehouse {
 public:
  void exec(const std::string& sql) override { pg_.exec(sql); }
  [[nodiscard]] nlohmann::json options() const override {
    return {{"dsn", pg_.options()["dsn"].get<std::string>() + " sslmode=disable"}};
  }

 private:
  postgres_warehouse pg_;
};

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

}  // namespace

const std::vector<source_adapter>& source_adapters() {
  static const std::vector<source_adapter> adapters = {
      sqlite_adapter(),
      postgres_adapter(),
      mysql_adapter(),
      clickhouse_adapter(),
      redshift_adapter(),
      snowflake_adapter(),
  };
  return adapters;
}

std::vector<std::string> source_adapter_gaps(const std::vector<std::string>& registered,
                                             const std::vector<std::string>& adapted) {
  std::vector<std::string> gaps;
  for (const auto& t : registered)
    if (std::find(adapted.begin(), adapted.end(), t) == adapted.end())
      gaps.push_back("source type \"" + t + "\" is registered but has no conformance adapter "
                     "(tests/sources/conformance/source_adapters.cpp)");
  for (const auto& t : adapted)
    if (std::find(registered.begin(), registered.end(), t) == registered.end())
      gaps.push_back("adapter \"" + t + "\" names no registered source type");
  return gaps;
}

nlohmann::json source_object(const source_adapter& a, const test_warehouse& w,
                             const std::string& query, const std::string& key) {
  nlohmann::json s = w.options();
  s["type"] = a.type;
  s["query"] = query;
  s["key"] = key;
  return s;
}

source_spec source_spec_of(const source_adapter& a, const test_warehouse& w,
                           const std::string& query) {
  return source_spec{a.type, w.options(), query};
}

}  // namespace backflow::testing
