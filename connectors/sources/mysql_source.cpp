// A MySQL or MariaDB warehouse read as one unbuffered result (see mysql_source.hpp).
#include "connectors/sources/mysql_source.hpp"

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/mysql_connection.hpp"
#include "connectors/sources/mysql_values.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

struct result_freer {
  void operator()(MYSQL_RES* res) const { mysql_free_result(res); }
};
using res_ptr = std::unique_ptr<MYSQL_RES, result_freer>;

/// Column names and kinds of a result's fields, checked for duplicates.
result<schema> read_mysql_schema(MYSQL_RES* res, std::vector<mysql_cell>* cells) {
  schema cols;
  unsigned int count = mysql_num_fields(res);
  if (count == 0)
    return failure{"source.query: returns no columns; a model is a SELECT"};
  const MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned int i = 0; i < count; ++i) {
    const MYSQL_FIELD& f = fields[i];
    mysql_cell cell = mysql_cell_of(static_cast<int>(f.type), f.flags, f.charsetnr);
    cols.push_back(column{std::string(f.name, f.name_length), mysql_column_kind(cell)});
    if (cells != nullptr)
      cells->push_back(cell);
  }
  if (auto unique = check_unique_columns(cols); !unique)
    return unique.error();
  return cols;
}

/// Reads the unbuffered result row by row; the client library holds one row at a time.
class mysql_cursor final : public source_cursor {
 public:
  mysql_cursor(mysql_ptr conn, res_ptr res, mysql_params params, schema cols,
               std::vector<mysql_cell> cells)
      : conn_(std::move(conn)), res_(std::move(res)), params_(std::move(params)),
        columns_(std::move(cols)), cells_(std::move(cells)) {}

  mysql_cursor(const mysql_cursor&) = delete;
  mysql_cursor& operator=(const mysql_cursor&) = delete;

  ~mysql_cursor() override {
    // Freeing an unfinished unbuffered result would read every remaining row first: a stopped
    // run cuts the connection instead, and the server abandons the query.
    if (res_ && conn_)
      mariadb_cancel(conn_.get());
  }

  [[nodiscard]] const schema& columns() const override { return columns_; }

  result<size_t> fetch(packed_rows& out, size_t max_rows) override {
    if (!error_.empty())
      return failure{error_};
    const size_t bytes_before = out.bytes.size();
    const size_t rows_before = out.ends.size();
    size_t fetched = 0;
    while (fetched < max_rows && res_) {
      MYSQL_ROW row = mysql_fetch_row(res_.get());
      if (row == nullptr) {
        if (mysql_errno(conn_.get()) != 0) {
          // A late row failed (a cast, a subquery) or the connection dropped mid-read: the
          // rows of this call are taken back and every later call fails the same way.
          error_ = mysql_failure(conn_.get(), params_).message;
          cancel();
          out.bytes.resize(bytes_before);
          out.ends.resize(rows_before);
          return failure{error_};
        }
        res_.reset();
        conn_.reset();  // free the server connection as soon as the model is read
        break;
      }
      write_row(out, row, mysql_fetch_lengths(res_.get()));
      ++fetched;
    }
    return fetched;
  }

 private:
  void cancel() {
    if (conn_)
      mariadb_cancel(conn_.get());
    res_.reset();
    conn_.reset();
  }

  void write_row(packed_rows& out, MYSQL_ROW row, const unsigned long* lengths) {
    row_writer writer(out.bytes);
    for (size_t c = 0; c < cells_.size(); ++c) {
      if (row[c] == nullptr)
        writer.null();
      else
        write_mysql_value(writer, cells_[c], std::string_view(row[c], lengths[c]), scratch_);
    }
    out.finish_row();
  }

  mysql_ptr conn_;  // null once read to the end or failed
  res_ptr res_;
  mysql_params params_;
  schema columns_;
  std::vector<mysql_cell> cells_;
  std::string scratch_;  // reused for timestamps, so cells cost no allocation
  std::string error_;
};

result<std::string> mysql_model_query(const source_spec& spec) {
  std::string_view query = strip_query_terminator(spec.query);
  if (query.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return failure{"source.query: is empty; give the SELECT that returns the model's rows"};
  return std::string(query);
}

bool blank_option(const nlohmann::json& options, const char* key) {
  auto it = options.find(key);
  return it != options.end() && it->is_string() &&
         it->get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos;
}

void check_mysql_options(const nlohmann::json& options, const std::string& path, config_errors& errors) {
  bool url = options.contains("url");
  if (url && blank_option(options, "url"))
    errors.add(join_path(path, "url"), "is empty; give mysql://user:password@host:port/database "
                                       "(an empty variable?)");
  for (const char* key : {"host", "port", "user", "password", "database"})
    if (url && options.contains(key))
      errors.add(join_path(path, key), "is also given by source.url; give one or the other");
  if (!url && blank_option(options, "user"))
    errors.add(join_path(path, "user"), "is empty (an empty variable?)");
}

/// `name` as a MySQL identifier: in backticks, a backtick doubled (double quotes are string
/// literals unless sql_mode has ANSI_QUOTES).
std::string quote_mysql_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`')
      out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

/// The key-only scan of an incremental read, with MySQL's quoting.
std::string mysql_key_query(const std::string& model, const std::vector<std::string>& columns) {
  std::string select;
  for (const auto& c : columns)
    select += (select.empty() ? "" : ", ") + quote_mysql_identifier(c);
  return wrap_model(model, select, "");
}

/// The user variable standing for an incremental read's lower bound in mysql_window_query.
constexpr const char* bound_variable = "@backflow_from";

/// Incremental reads in MySQL's dialect. The main query runs on the text protocol (so that it
/// streams with mysql_use_result); the bound reaches it as a user variable set by a prepared
/// `SET @backflow_from = ?` (see bind_bound). An integer cursor compares with the variable as a
/// 64-bit integer; a timestamp cursor with it cast to DATETIME(6) without its "+00:00" (the
/// session is UTC, so a TIMESTAMP column compares as an instant, a DATETIME as wall time). A
/// NULL cursor is read.
std::string mysql_window_query(const std::string& model, const std::string& cursor,
                               bool integer) {
  auto c = quote_mysql_identifier(cursor);
  std::string bound = integer ? std::string(bound_variable)
                              : "CAST(LEFT(" + std::string(bound_variable) + ", 26) AS DATETIME(6))";
  return wrap_model(model, "*", c + " >= " + bound + " OR " + c + " IS NULL");
}

/// Sets @backflow_from to the spec's one parameter through a prepared statement (binary
/// protocol: the value is never part of any SQL text), as a BIGINT or as utf8mb4 text.
result<bool> bind_bound(MYSQL* my, const source_spec& spec, const mysql_params& params) {
  if (spec.params.empty())
    return true;
  if (spec.params.size() != 1)
    return failure{"source: a MySQL incremental read binds one value, not " +
                   std::to_string(spec.params.size())};
  const query_param& p = spec.params.front();
  long long number = 0;
  if (p.integer) {
    auto [end, ec] = std::from_chars(p.text.data(), p.text.data() + p.text.size(), number);
    if (ec != std::errc() || end != p.text.data() + p.text.size())
      return failure{"source: the incremental bound \"" + p.text + "\" is not a 64-bit integer"};
  }
  std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)> stmt(mysql_stmt_init(my),
                                                                 &mysql_stmt_close);
  if (!stmt)
    return failure{"source: cannot bind the incremental bound: out of memory"};
  std::string sql = std::string("SET ") + bound_variable + " = ?";
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0)
    return mysql_failure(my, params);
  MYSQL_BIND bind{};
  unsigned long length = static_cast<unsigned long>(p.text.size());
  if (p.integer) {
    bind.buffer_type = MYSQL_TYPE_LONGLONG;
    bind.buffer = &number;
  } else {
    bind.buffer_type = MYSQL_TYPE_STRING;
    bind.buffer = const_cast<char*>(p.text.data());
    bind.buffer_length = length;
    bind.length = &length;
  }
  if (mysql_stmt_bind_param(stmt.get(), &bind) != 0 || mysql_stmt_execute(stmt.get()) != 0)
    return failure{"source: MySQL refused the incremental bound: " +
                   std::string(mysql_stmt_error(stmt.get()))};
  return true;
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_mysql_source(const source_spec& spec) {
  auto query = mysql_model_query(spec);
  if (!query)
    return query.error();
  auto params = mysql_params_of(spec);
  if (!params)
    return params.error();
  auto conn = mysql_connect(*params);
  if (!conn)
    return conn.error();
  MYSQL* my = conn->get();
  if (auto bound = bind_bound(my, spec, *params); !bound)
    return bound.error();
  // One snapshot for the whole read, and a guarantee that the model cannot write.
  if (mysql_query(my, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY") != 0)
    return mysql_failure(my, *params);
  // Multiple statements are off (no CLIENT_MULTI_STATEMENTS): a second one is a syntax error.
  if (mysql_real_query(my, query->data(), query->size()) != 0)
    return mysql_failure(my, *params);
  res_ptr res(mysql_use_result(my));
  if (!res) {
    if (mysql_errno(my) != 0)
      return mysql_failure(my, *params);
    return failure{"source.query: returns no columns; a model is a SELECT"};
  }
  std::vector<mysql_cell> cells;
  auto cols = read_mysql_schema(res.get(), &cells);
  if (!cols) {
    mariadb_cancel(my);
    return cols.error();
  }
  return std::unique_ptr<source_cursor>(std::make_unique<mysql_cursor>(
      std::move(*conn), std::move(res), std::move(*params), std::move(*cols), std::move(cells)));
}

result<schema> describe_mysql_source(const source_spec& spec) {
  auto query = mysql_model_query(spec);
  if (!query)
    return query.error();
  auto params = mysql_params_of(spec);
  if (!params)
    return params.error();
  auto conn = mysql_connect(*params);
  if (!conn)
    return conn.error();
  MYSQL* my = conn->get();
  // A prepared statement's metadata: the server parses and resolves the query, runs nothing.
  std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)> stmt(mysql_stmt_init(my),
                                                                 &mysql_stmt_close);
  if (!stmt)
    return failure{"source: cannot describe the MySQL query: out of memory"};
  if (mysql_stmt_prepare(stmt.get(), query->data(), query->size()) != 0)
    return mysql_failure(my, *params);
  res_ptr meta(mysql_stmt_result_metadata(stmt.get()));
  if (!meta)
    return failure{"source.query: returns no columns; a model is a SELECT"};
  return read_mysql_schema(meta.get(), nullptr);
}

source_type mysql_source_type() {
  source_type t;
  t.name = "mysql";
  t.summary = "a MySQL or MariaDB server, streamed unbuffered in one read-only transaction";
  t.options = {
    option("url", option_type::string,
           "mysql://user:password@host:port/database, e.g. \"${MYSQL_URL}\"; or the keys below")
        .secret_value(),
    option("host", option_type::string, "server host name or address (default 127.0.0.1)"),
    option("port", option_type::integer, "server TCP port (default 3306)").between(1, 65535),
    option("user", option_type::string, "user name"),
    option("password", option_type::string, "password, e.g. \"${MYSQL_PASSWORD}\"").secret_value(),
    option("database", option_type::string, "default database of the query"),
    option("tls", option_type::string,
           "\"off\", \"required\" (encrypted) or \"verify_identity\" (and the server's "
           "certificate and host name checked)")
        .defaults_to("off")
        .one_of({"off", "required", "verify_identity"}),
    option("tls_ca", option_type::string, "CA certificate file (PEM) to verify the server with"),
  };
  t.open = open_mysql_source;
  t.describe = describe_mysql_source;
  t.check = check_mysql_options;
  t.location = [](const source_spec& spec) {
    auto p = mysql_params_of(spec);
    if (!p)
      return std::string("mysql:(unreadable url)");
    return "mysql:host=" + p->host + " port=" + std::to_string(p->port) + " database=" +
           p->database;
  };
  // A refused login or an unknown database will not mend by itself; a server down may.
  t.window_query = mysql_window_query;
  t.key_query = mysql_key_query;
  t.config_problem_options = {"user", "database", "url", "tls"};
  return t;
}

}  // namespace backflow
