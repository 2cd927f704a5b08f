// Write-back into MySQL or MariaDB (see mysql_writer.hpp).
#include "connectors/sources/mysql_writer.hpp"

#include "connectors/sources/mysql_connection.hpp"
#include "connectors/sources/sql_writer.hpp"
#include "connectors/sources/write_transaction.hpp"
#include "connectors/sources/writer_sql.hpp"

namespace backflow {
namespace {

class mysql_writer final : public sql_writer {
 public:
  mysql_writer(mysql_ptr conn, mysql_params params)
      : conn_(std::move(conn)), params_(std::move(params)) {}

 protected:
  std::string quote(const std::string& name) const override { return quote_doubling(name, '`'); }

  std::string text_literal(std::string_view text) const override {
    // The connection's character set and sql_mode decide how a backslash reads.
    std::string out(text.size() * 2 + 1, '\0');
    auto n = mysql_real_escape_string(conn_.get(), out.data(), text.data(),
                                      static_cast<unsigned long>(text.size()));
    out.resize(n);
    return "'" + out + "'";
  }

  std::string timestamp_literal(const std::string& iso) const override {
    // DATETIME(3) in UTC: "2026-12-06T13:25:00.123Z" as "2026-12-06 13:25:00.123".
    auto text = iso;
    if (text.size() > 10 && text[10] == 'T')
      text[10] = ' ';
    if (!text.empty() && text.back() == 'Z')
      text.pop_back();
    return text_literal(text);
  }

  std::string type_of(wb_kind kind, bool key) const override {
    switch (kind) {
      case wb_kind::integer:
        return "BIGINT";
      case wb_kind::timestamp:
        return "DATETIME(3)";
      case wb_kind::short_text:
        return "VARCHAR(255)";  // within InnoDB's 3072-byte key in utf8mb4
      default:
        return "LONGTEXT";  // not JSON: MySQL's JSON type reads numbers as doubles
    }
  }

  std::vector<std::string> create_schema(const std::string& schema) const override {
    return {"CREATE DATABASE IF NOT EXISTS " + quote(schema) +
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"};
  }

  status run_transaction(const std::vector<std::string>& statements) override {
    auto exec_sql = [this](const std::string& sql) { return exec(sql); };
    return run_in_transaction("START TRANSACTION", statements, exec_sql, exec_sql);
  }

 private:
  status exec(const std::string& sql) {
    if (mysql_real_query(conn_.get(), sql.data(), static_cast<unsigned long>(sql.size())) == 0) {
      if (MYSQL_RES* res = mysql_store_result(conn_.get()))
        mysql_free_result(res);
      return {};
    }
    return failure{writer_message("MySQL", mysql_failure(conn_.get(), params_).message)};
  }

  mysql_ptr conn_;
  mysql_params params_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_mysql_writer(const source_spec& spec) {
  auto params = mysql_params_of(spec);
  if (!params)
    return failure{"writeback: " + params.error().message};
  auto conn = mysql_connect(*params);
  if (!conn)
    return failure{"writeback: " + conn.error().message};
  return std::unique_ptr<warehouse_writer>(
      new mysql_writer(std::move(*conn), std::move(*params)));
}

}  // namespace backflow
