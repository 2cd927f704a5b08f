// Write-back into PostgreSQL (see postgres_writer.hpp).
#include "connectors/sources/postgres_writer.hpp"

#include <libpq-fe.h>

#include "connectors/sources/libpq_handles.hpp"
#include "connectors/sources/libpq_write.hpp"
#include "connectors/sources/source_text.hpp"
#include "connectors/sources/sql_writer.hpp"
#include "connectors/sources/write_transaction.hpp"

namespace backflow {
namespace {

class postgres_writer final : public sql_writer {
 public:
  postgres_writer(PGconn* conn, std::string dsn) : conn_(conn), dsn_(std::move(dsn)) {}

 protected:
  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "BIGINT";
      case wb_kind::timestamp:
        return "TIMESTAMPTZ";
      case wb_kind::json:
        return "JSONB";
      default:
        return "TEXT";
    }
  }

  std::string text_literal(std::string_view text) const override {
    // libpq escapes for the connection's settings (standard_conforming_strings, encoding).
    char* escaped = PQescapeLiteral(conn_.get(), text.data(), text.size());
    if (escaped == nullptr)
      return sql_writer::text_literal(text);
    std::string out = escaped;
    PQfreemem(escaped);
    return out;
  }

  std::string timestamp_literal(const std::string& iso) const override {
    return text_literal(iso) + "::timestamptz";
  }

  status run_transaction(const std::vector<std::string>& statements) override {
    auto exec_sql = [this](const std::string& sql) { return exec(sql); };
    return run_in_transaction("BEGIN", statements, exec_sql, exec_sql);
  }

 private:
  status exec(const std::string& sql) {
    pg_result res(PQexec(conn_.get(), sql.c_str()));
    return pg_write_status(res.get(), conn_.get(), "PostgreSQL", dsn_);
  }

  pg_conn_ptr conn_;
  std::string dsn_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_postgres_writer(const source_spec& spec) {
  auto dsn = spec.string_option("dsn");
  const char* keys[] = {"application_name", "connect_timeout", "dbname", "client_encoding", nullptr};
  const char* values[] = {"backflow-writeback", "10", dsn.c_str(), "UTF8", nullptr};
  pg_conn_ptr conn(PQconnectdbParams(keys, values, 1));
  if (!conn)
    return failure{"writeback: cannot connect to PostgreSQL: out of memory"};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return failure{"writeback: cannot connect to PostgreSQL: " +
                   redact_secrets(one_line(PQerrorMessage(conn.get())), dsn)};
  pg_result quiet(PQexec(conn.get(), "SET client_min_messages = warning"));
  return std::unique_ptr<warehouse_writer>(new postgres_writer(conn.release(), dsn));
}

}  // namespace backflow
