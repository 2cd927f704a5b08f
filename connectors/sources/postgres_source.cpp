// A PostgreSQL warehouse read through a server-side cursor (see postgres_source.hpp).
#include "connectors/sources/postgres_source.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/libpq_handles.hpp"
#include "connectors/sources/postgres_values.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

/// A server error as "message (at character N of the query); hint: ...".
std::string server_error(const PGresult* res, PGconn* conn, size_t position_offset) {
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr)
    return one_line(PQerrorMessage(conn));
  std::string message = primary;
  if (const char* position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)) {
    long at = std::strtol(position, nullptr, 10) - static_cast<long>(position_offset);
    if (at > 0)
      message += " (at character " + std::to_string(at) + " of the query)";
  }
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
    message += "; detail: " + std::string(detail);
  if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT))
    message += "; hint: " + std::string(hint);
  return message;
}

std::string query_error(const pg_dialect& d) { return "source.query: " + d.server + " error: "; }

/// The failure for a statement that did not succeed, telling a lost connection from a bad query;
/// `what` introduces the server's message (query_error when empty).
failure statement_failure(const PGresult* res, PGconn* conn, const pg_dialect& d,
                          const std::string& what = {}, size_t position_offset = 0) {
  if (PQstatus(conn) == CONNECTION_BAD)
    return failure{"source: lost the connection to " + d.server + ": " +
                   one_line(PQerrorMessage(conn))};
  return failure{(what.empty() ? query_error(d) : what) + server_error(res, conn, position_offset)};
}

/// Runs a command that returns no rows; `what` introduces its error.
status run_command(PGconn* conn, const std::string& sql, const pg_dialect& d,
                   const std::string& what) {
  pg_result res(PQexec(conn, sql.c_str()));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    return statement_failure(res.get(), conn, d, what);
  return {};
}

result<pg_conn_ptr> connect(const std::string& dsn, const pg_dialect& d) {
  const std::string prefix = "source.dsn: cannot connect to " + d.server + ": ";
  if (dsn.find_first_not_of(" \t\r\n") == std::string::npos)
    return failure{"source.dsn: missing; give a libpq connection string or URI"};

  // Learn the password as libpq reads it, so that error messages can be scrubbed of it.
  std::vector<std::string> secrets;
  bool is_conninfo = dsn.find('=') != std::string::npos || dsn.rfind("postgres://", 0) == 0 ||
                     dsn.rfind("postgresql://", 0) == 0;
  if (is_conninfo) {
    char* parse_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &parse_error);
    if (options == nullptr) {
      std::string why = parse_error != nullptr ? parse_error : "out of memory";
      PQfreemem(parse_error);
      return failure{prefix + "the connection string is malformed: " +
                     redact_secrets(hide_quoted_fragments(one_line(why)), dsn)};
    }
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o)
      if (o->val != nullptr &&
          (std::strcmp(o->keyword, "password") == 0 || std::strcmp(o->keyword, "sslpassword") == 0))
        secrets.emplace_back(o->val);
    PQconninfoFree(options);
  }

  // Keywords before dbname are defaults the DSN may override; those after it are enforced.
  std::vector<const char*> keys = {"application_name", "connect_timeout"};
  std::vector<const char*> values = {"backflow", "10"};
  for (const auto& [key, value] : d.connect_defaults) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.insert(keys.end(), {"dbname", "client_encoding", nullptr});
  values.insert(values.end(), {dsn.c_str(), "UTF8", nullptr});
  pg_conn_ptr conn(PQconnectdbParams(keys.data(), values.data(), 1));
  if (!conn)
    return failure{prefix + "out of memory"};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return failure{prefix + redact_secrets(one_line(PQerrorMessage(conn.get())), dsn, secrets)};
  // Values come back as the same text whatever the server's or role's defaults.
  std::string setup;
  for (const auto& statement : d.session_setup)
    setup += (setup.empty() ? "" : "; ") + statement;
  if (auto set = run_command(conn.get(), setup, d,
                             "source: could not set up the " + d.server + " session: ");
      !set)
    return set.error();
  return result<pg_conn_ptr>(std::move(conn));
}

/// The catalogue's name of a type ("geometry"), or "oid N" when it cannot be looked up.
std::string type_name(PGconn* conn, unsigned int oid) {
  std::string text = std::to_string(oid);
  const char* params[] = {text.c_str()};
  pg_result res(PQexecParams(conn, "SELECT typname FROM pg_type WHERE oid = $1", 1, nullptr,
                             params, nullptr, nullptr, 0));
  if (res && PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()) == 1)
    return PQgetvalue(res.get(), 0, 0);
  return "oid " + text;
}

/// Column names and kinds of a described statement or portal, checked for duplicates. A type
/// the dialect does not know is read as text, with a warning naming it.
result<schema> read_schema(const PGresult* res, PGconn* conn, const pg_dialect& d,
                           std::vector<pg_cell>* cells) {
  schema cols;
  int count = PQnfields(res);
  if (count == 0)
    return failure{"source.query: returns no columns; a model is a SELECT"};
  for (int i = 0; i < count; ++i) {
    std::optional<pg_cell> known = d.cell_of(PQftype(res, i));
    if (!known)
      spdlog::warn("Column of an unknown type read as its text: server={} column={} type={}",
                   d.server, PQfname(res, i), type_name(conn, PQftype(res, i)));
    pg_cell cell = known.value_or(pg_cell::text);
    cols.push_back(column{PQfname(res, i), pg_column_kind(cell)});
    if (cells != nullptr)
      cells->push_back(cell);
  }
  if (auto unique = check_unique_columns(cols); !unique)
    return unique.error();
  return cols;
}

/// Fetches the declared cursor in bounded batches; the last batch is kept between calls.
class postgres_cursor final : public source_cursor {
 public:
  postgres_cursor(pg_conn_ptr conn, schema cols, std::vector<pg_cell> cells, const pg_dialect& d)
      : conn_(std::move(conn)), columns_(std::move(cols)), cells_(std::move(cells)), dialect_(d) {}

  [[nodiscard]] const schema& columns() const override { return columns_; }

  result<size_t> fetch(packed_rows& out, size_t max_rows) override {
    if (!error_.empty())
      return failure{error_};
    const size_t bytes_before = out.bytes.size();
    const size_t rows_before = out.ends.size();
    size_t fetched = 0;
    while (fetched < max_rows) {
      if (next_row_ == batch_rows_) {
        batch_.reset();
        next_row_ = batch_rows_ = 0;
        if (!conn_)
          break;  // read to the end already
        status st = server_exhausted_ ? finish() : fetch_batch(max_rows);
        if (!st) {
          error_ = st.error().message;
          conn_.reset();  // the server rolls the transaction back
          out.bytes.resize(bytes_before);
          out.ends.resize(rows_before);
          return failure{error_};
        }
        continue;
      }
      int take = static_cast<int>(
          std::min(max_rows - fetched, static_cast<size_t>(batch_rows_ - next_row_)));
      for (int r = next_row_; r < next_row_ + take; ++r)
        write_row(out, r);
      next_row_ += take;
      fetched += static_cast<size_t>(take);
    }
    return fetched;
  }

 private:
  status fetch_batch(size_t max_rows) {
    // Enough rows to amortise the round trip, few enough that the buffered PGresult stays small.
    size_t size = std::clamp(max_rows, dialect_.min_fetch_rows, dialect_.max_fetch_rows);
    if (size != fetch_size_) {
      fetch_size_ = size;
      fetch_sql_ = "FETCH FORWARD " + std::to_string(size) + " FROM backflow_cursor";
    }
    pg_result res(PQexec(conn_.get(), fetch_sql_.c_str()));
    if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK)
      return statement_failure(res.get(), conn_.get(), dialect_);
    batch_rows_ = PQntuples(res.get());
    server_exhausted_ = static_cast<size_t>(batch_rows_) < size;
    batch_ = std::move(res);
    return {};
  }

  status finish() {
    if (auto closed = run_command(conn_.get(), "CLOSE backflow_cursor; COMMIT", dialect_,
                                  "source: " + dialect_.server + " could not end the read: ");
        !closed)
      return closed;
    conn_.reset();  // free the server connection as soon as the model is read
    return {};
  }

  void write_row(packed_rows& out, int r) {
    const PGresult* res = batch_.get();
    row_writer writer(out.bytes);
    const int count = static_cast<int>(cells_.size());
    for (int c = 0; c < count; ++c) {
      if (PQgetisnull(res, r, c) != 0) {
        writer.null();
        continue;
      }
      std::string_view text(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c)));
      write_pg_value(writer, cells_[static_cast<size_t>(c)], text, scratch_);
    }
    out.finish_row();
  }

  pg_conn_ptr conn_;  // null once read to the end or failed
  schema columns_;
  std::vector<pg_cell> cells_;
  const pg_dialect& dialect_;  // a static of the source type
  pg_result batch_;
  int batch_rows_ = 0;
  int next_row_ = 0;
  bool server_exhausted_ = false;
  size_t fetch_size_ = 0;
  std::string fetch_sql_;
  std::string scratch_;  // reused for timestamps and bytea, so cells cost no allocation
  std::string error_;
};

result<std::string> model_query(const source_spec& spec) {
  std::string_view query = strip_query_terminator(spec.query);
  if (query.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return failure{"source.query: is empty; give the SELECT that returns the model's rows"};
  return std::string(query);
}

}  // namespace

/// "postgres:host=h port=5432 dbname=d": where the data is, without user or password.
std::string pg_wire_location(const std::string& dsn, const pg_dialect& dialect) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  PQfreemem(error);
  if (options == nullptr)
    return dialect.location + ":(unreadable connection string)";
  std::string host;
  std::string port = dialect.default_port;
  std::string dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0')
      continue;
    if (std::strcmp(o->keyword, "host") == 0 || (std::strcmp(o->keyword, "hostaddr") == 0 && host.empty()))
      host = o->val;
    else if (std::strcmp(o->keyword, "port") == 0)
      port = o->val;
    else if (std::strcmp(o->keyword, "dbname") == 0)
      dbname = o->val;
  }
  PQconninfoFree(options);
  return dialect.location + ":host=" + (host.empty() ? std::string("localhost") : host) +
         " port=" + port + " dbname=" + dbname;
}

const pg_dialect& postgres_dialect() {
  static const pg_dialect d = [] {
    pg_dialect p;
    p.server = "PostgreSQL";
    p.location = "postgres";
    p.default_port = "5432";
    // Timestamps in ISO form and UTC, bytea as hex, floats with every digit.
    p.session_setup = {"SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO, YMD'",
                       "SET bytea_output = 'hex'", "SET extra_float_digits = 3"};
    // One snapshot for the whole read, and a guarantee that the model cannot write.
    p.begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    p.declare_prefix = "DECLARE backflow_cursor NO SCROLL CURSOR FOR ";
    p.cell_of = [](unsigned int oid) { return std::optional<pg_cell>(pg_cell_of(oid)); };
    return p;
  }();
  return d;
}

/// Incremental reads in PostgreSQL's dialect: `$1` takes the cursor column's own type, so a
/// timestamptz compares as an instant (offsets honoured), a timestamp as wall time, a date as a
/// date and an integer as an integer. A text column compares as text. NULL cursors are read.
std::string postgres_window_query(const std::string& model, const std::string& cursor, bool) {
  auto c = quote_identifier(cursor);
  return wrap_model(model, "*", c + " >= $1 OR " + c + " IS NULL");
}

result<std::unique_ptr<source_cursor>> open_pg_wire_source(const source_spec& spec,
                                                           const pg_dialect& d) {
  auto query = model_query(spec);
  if (!query)
    return query.error();
  auto conn = connect(spec.string_option("dsn"), d);
  if (!conn)
    return conn.error();
  PGconn* pg = conn->get();
  if (auto begun = run_command(pg, d.begin, d,
                               "source: " + d.server + " could not begin a read-only transaction: ");
      !begun)
    return begun.error();
  // The extended protocol refuses a second statement smuggled after the SELECT.
  std::string declare = d.declare_prefix + *query;
  // Incremental reads' bounds go as text parameters, typed by the server from the column they
  // are compared with (timestamptz, timestamp, date, bigint, numeric).
  std::vector<const char*> values;
  for (const auto& p : spec.params)
    values.push_back(p.text.c_str());
  pg_result declared(PQexecParams(pg, declare.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  if (!declared || PQresultStatus(declared.get()) != PGRES_COMMAND_OK)
    return statement_failure(declared.get(), pg, d, {}, d.declare_prefix.size());
  pg_result described(PQdescribePortal(pg, "backflow_cursor"));
  if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK)
    return statement_failure(described.get(), pg, d);
  std::vector<pg_cell> cells;
  auto cols = read_schema(described.get(), pg, d, &cells);
  if (!cols)
    return cols.error();
  return std::unique_ptr<source_cursor>(
      std::make_unique<postgres_cursor>(std::move(*conn), std::move(*cols), std::move(cells), d));
}

result<schema> describe_pg_wire_source(const source_spec& spec, const pg_dialect& d) {
  auto query = model_query(spec);
  if (!query)
    return query.error();
  auto conn = connect(spec.string_option("dsn"), d);
  if (!conn)
    return conn.error();
  PGconn* pg = conn->get();
  pg_result prepared(PQprepare(pg, "", query->c_str(), 0, nullptr));
  if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK)
    return statement_failure(prepared.get(), pg, d);
  pg_result described(PQdescribePrepared(pg, ""));
  if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK)
    return statement_failure(described.get(), pg, d);
  return read_schema(described.get(), pg, d, nullptr);
}

result<std::unique_ptr<source_cursor>> open_postgres_source(const source_spec& spec) {
  return open_pg_wire_source(spec, postgres_dialect());
}

result<schema> describe_postgres_source(const source_spec& spec) {
  return describe_pg_wire_source(spec, postgres_dialect());
}

source_type postgres_source_type() {
  source_type t;
  t.name = "postgres";
  t.summary = "a PostgreSQL server, read through a cursor in one read-only transaction";
  t.options = {
    option("dsn", option_type::string,
           "libpq connection string or URI, e.g. \"${WAREHOUSE_DSN}\"").mandatory().secret_value(),
  };
  t.open = open_postgres_source;
  t.describe = describe_postgres_source;
  t.window_query = postgres_window_query;
  t.key_query = standard_key_query;
  t.check = [](const nlohmann::json& options, const std::string& path, config_errors& errors) {
    auto it = options.find("dsn");
    if (it != options.end() && it->is_string() &&
        it->get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos)
      errors.add(join_path(path, "dsn"),
                 "is empty; give a libpq connection string or URI (an empty variable?)");
  };
  t.location = [](const source_spec& spec) {
    return pg_wire_location(spec.string_option("dsn"), postgres_dialect());
  };
  // A server that cannot be reached now is not the sync file's fault: no option is listed.
  return t;
}

}  // namespace backflow
