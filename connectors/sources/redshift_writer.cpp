// Write-back into Amazon Redshift (see redshift_writer.hpp).
#include "connectors/sources/redshift_writer.hpp"

#include <libpq-fe.h>

#include "connectors/sources/bound_writer.hpp"
#include "connectors/sources/libpq_handles.hpp"
#include "connectors/sources/libpq_write.hpp"
#include "connectors/sources/redshift_source.hpp"
#include "connectors/sources/source_text.hpp"
#include "connectors/sources/write_transaction.hpp"

namespace backflow {
namespace {

class redshift_writer final : public bound_writer {
 public:
  redshift_writer(PGconn* conn, std::string dsn) : conn_(conn), dsn_(std::move(dsn)) {}

 protected:
  status run(const bound_statement& statement) override {
    std::vector<const char*> values;
    values.reserve(statement.params.size());
    for (const auto& p : statement.params)
      values.push_back(p.value ? p.value->c_str() : nullptr);
    // Types left to the server (0): each parameter takes its column's or comparison's type.
    pg_result res(PQexecParams(conn_.get(), statement.sql.c_str(),
                               static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0));
    return checked(res.get());
  }

  status run_batch(const std::vector<bound_statement>& statements) override {
    return run_in_transaction(
        "BEGIN", statements, [this](const std::string& sql) { return exec(sql); },
        [this](const bound_statement& statement) { return run(statement); });
  }

  bool merges() const override { return false; }

  std::string placeholder(size_t index) const override { return "$" + std::to_string(index + 1); }

  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "BIGINT";
      case wb_kind::timestamp:
        return "TIMESTAMPTZ";
      case wb_kind::short_text:
        return "VARCHAR(256)";
      default:  // Redshift's TEXT is VARCHAR(256); 65535 bytes is its widest
        return "VARCHAR(65535)";
    }
  }

  /// Well under the wire protocol's 65,535 parameters a statement.
  size_t max_params() const override { return 10000; }

 private:
  status exec(const std::string& sql) {
    pg_result res(PQexec(conn_.get(), sql.c_str()));
    return checked(res.get());
  }

  status checked(PGresult* res) {
    return pg_write_status(res, conn_.get(), "Redshift", dsn_);
  }

  pg_conn_ptr conn_;
  std::string dsn_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_redshift_writer(const source_spec& spec) {
  auto dsn = spec.string_option("dsn");
  // Keywords before dbname are defaults the DSN may override (port 5439, sslmode=require).
  std::vector<const char*> keys = {"application_name", "connect_timeout"};
  std::vector<const char*> values = {"backflow-writeback", "10"};
  for (const auto& [key, value] : redshift_dialect().connect_defaults) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.insert(keys.end(), {"dbname", "client_encoding", nullptr});
  values.insert(values.end(), {dsn.c_str(), "UTF8", nullptr});
  pg_conn_ptr conn(PQconnectdbParams(keys.data(), values.data(), 1));
  if (!conn)
    return failure{"writeback: cannot connect to Redshift: out of memory"};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return failure{"writeback: cannot connect to Redshift: " +
                   redact_secrets(one_line(PQerrorMessage(conn.get())), dsn)};
  // "schema ... already exists, skipping" and the like: not for the terminal.
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  return std::unique_ptr<warehouse_writer>(new redshift_writer(conn.release(), dsn));
}

}  // namespace backflow
