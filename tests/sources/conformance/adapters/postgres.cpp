// The postgres adapter: a schema of the test PostgreSQL server.
#include "tests/sources/conformance/adapters/adapter_support.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <stdexcept>

namespace backflow::testing {
namespace {

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

}  // namespace

std::unique_ptr<test_warehouse> open_postgres_warehouse() {
  return std::make_unique<postgres_warehouse>();
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

}  // namespace backflow::testing
