// The embedded default warehouse: a SQLite database file (see sqlite_source.hpp).
#include "connectors/sources/sqlite_source.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// A column's kind from its declared type, by SQLite's own substring rules plus booleans and dates.
column_kind kind_from_decltype(const char* declared) {
  if (declared == nullptr)
    return column_kind::unknown;  // an expression: cells follow each value's storage class
  std::string t(declared);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  auto has = [&t](const char* word) { return t.find(word) != std::string::npos; };
  if (has("BOOL"))
    return column_kind::boolean;
  if (has("TIMESTAMP") || has("DATETIME") || has("DATE"))
    return column_kind::timestamp;
  if (has("INT"))
    return column_kind::integer;
  if (has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL"))
    return column_kind::real;
  if (has("CHAR") || has("TEXT") || has("CLOB"))
    return column_kind::text;
  if (has("BLOB"))
    return column_kind::bytes;
  return column_kind::unknown;
}

result<db_ptr> open_database(const std::string& path) {
  if (path.empty())
    return failure{"source.path: missing; give the SQLite database file to read"};
  sqlite3* raw = nullptr;
  // Read-only never creates the file, so a typo in the path fails here instead of reading nothing.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  db_ptr db(raw);
  if (rc != SQLITE_OK) {
    std::string why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      why += " (the file does not exist)";
    return failure{"source.path: cannot open SQLite database \"" + path + "\": " + why};
  }
  // A writer holding the lock briefly should delay the read, not fail it.
  sqlite3_busy_timeout(raw, 10000);
  // Reading the schema page tells a file that is no database apart from a bad query.
  if (sqlite3_exec(raw, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr) !=
      SQLITE_OK)
    return failure{"source.path: cannot read SQLite database \"" + path +
                   "\": " + sqlite3_errmsg(raw)};
  return result<db_ptr>(std::move(db));
}

/// Where in the query SQLite stopped, as a short quote, or "" if it did not say.
std::string error_location(sqlite3* db, const std::string& query) {
#if SQLITE_VERSION_NUMBER >= 3038000
  int offset = sqlite3_error_offset(db);
  if (offset < 0 || static_cast<size_t>(offset) >= query.size())
    return {};
  std::string near = query.substr(static_cast<size_t>(offset), 40);
  near = near.substr(0, near.find('\n'));
  return " (near \"" + near + "\")";
#else
  return {};
#endif
}

result<stmt_ptr> prepare_query(sqlite3* db, const std::string& query) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, query.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  stmt_ptr stmt(raw);
  if (rc != SQLITE_OK)
    return failure{"source.query: SQLite could not prepare the query: " +
                   std::string(sqlite3_errmsg(db)) + error_location(db, query)};
  if (!stmt)
    return failure{"source.query: is empty; give the SELECT that returns the model's rows"};

  // Anything after the first statement other than semicolons, spaces or comments is refused.
  while (tail != nullptr && *tail != '\0') {
    sqlite3_stmt* next = nullptr;
    const char* rest = nullptr;
    rc = sqlite3_prepare_v2(db, tail, -1, &next, &rest);
    stmt_ptr next_owner(next);
    if (rc != SQLITE_OK || next_owner)
      return failure{"source.query: holds more than one statement; a model is a single SELECT"};
    if (rest == tail)
      break;
    tail = rest;
  }

  if (sqlite3_stmt_readonly(stmt.get()) == 0)
    return failure{"source.query: is not read-only; a model must only read (SELECT)"};
  if (sqlite3_column_count(stmt.get()) == 0)
    return failure{"source.query: returns no columns; a model is a SELECT"};
  return result<stmt_ptr>(std::move(stmt));
}

schema read_schema(sqlite3_stmt* stmt) {
  schema cols;
  int count = sqlite3_column_count(stmt);
  cols.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    cols.push_back(
        column{name != nullptr ? name : "", kind_from_decltype(sqlite3_column_decltype(stmt, i))});
  }
  return cols;
}

/// Binds incremental reads' values to ?1, ?2, ...: integers as integers, the rest as text.
result<bool> bind_params(sqlite3_stmt* stmt, const std::vector<query_param>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    int index = static_cast<int>(i) + 1;
    int rc = p.integer ? sqlite3_bind_int64(stmt, index, std::stoll(p.text))
                       : sqlite3_bind_text(stmt, index, p.text.c_str(),
                                           static_cast<int>(p.text.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
      return failure{"source.incremental: SQLite could not bind the window's bound \"" + p.text +
                     "\": " + sqlite3_errstr(rc)};
  }
  return true;
}

/// Incremental reads in SQLite's dialect. Integer cursors compare as integers; timestamp
/// cursors as julianday() of either side, so "2026-01-05 10:00:00", "...T10:00:00Z", offsets
/// and unix seconds in a DATETIME column all compare as instants (millisecond precision). A
/// NULL cursor, or one julianday() cannot read, is always read (the diff keeps it from being
/// resent when unchanged; the run then names an unreadable value).
std::string sqlite_window_query(const std::string& model, const std::string& cursor,
                                bool integer) {
  auto c = quote_identifier(cursor);
  if (integer)
    return wrap_model(model, "*", c + " >= ?1 OR " + c + " IS NULL");
  auto instant = "(CASE typeof(" + c + ") WHEN 'text' THEN julianday(" + c + ") ELSE julianday(" +
                 c + ", 'unixepoch') END)";
  return wrap_model(model, "*", "COALESCE(" + instant + " >= julianday(?1), 1)");
}

/// An open database with the model's query prepared and its columns checked.
struct prepared_model {
  db_ptr db;
  stmt_ptr stmt;
  schema cols;
};

result<prepared_model> prepare_model(const source_spec& spec) {
  auto db = open_database(spec.string_option("path"));
  if (!db)
    return db.error();
  auto stmt = prepare_query(db->get(), spec.query);
  if (!stmt)
    return stmt.error();
  if (auto bound = bind_params(stmt->get(), spec.params); !bound)
    return bound.error();
  schema cols = read_schema(stmt->get());
  if (auto unique = check_unique_columns(cols); !unique)
    return unique.error();
  return prepared_model{std::move(*db), std::move(*stmt), std::move(cols)};
}

/// Steps the prepared statement on each fetch; rows go straight into the caller's buffer.
class sqlite_cursor final : public source_cursor {
 public:
  explicit sqlite_cursor(prepared_model model)
      : db_(std::move(model.db)), stmt_(std::move(model.stmt)), columns_(std::move(model.cols)) {
    kinds_.reserve(columns_.size());
    for (const auto& col : columns_)
      kinds_.push_back(col.kind);
  }

  [[nodiscard]] const schema& columns() const override { return columns_; }

  result<size_t> fetch(packed_rows& out, size_t max_rows) override {
    if (!error_.empty())
      return failure{error_};
    const size_t bytes_before = out.bytes.size();
    const size_t rows_before = out.ends.size();
    const int count = static_cast<int>(kinds_.size());
    size_t fetched = 0;
    while (fetched < max_rows && stmt_) {
      int rc = sqlite3_step(stmt_.get());
      if (rc == SQLITE_DONE) {
        // Release the read lock as soon as the model is read.
        stmt_.reset();
        db_.reset();
        break;
      }
      if (rc != SQLITE_ROW) {
        error_ = "source.query: SQLite failed while reading rows: " +
                 std::string(sqlite3_errmsg(db_.get()));
        stmt_.reset();
        db_.reset();
        out.bytes.resize(bytes_before);
        out.ends.resize(rows_before);
        return failure{error_};
      }
      row_writer writer(out.bytes);
      for (int i = 0; i < count; ++i)
        write_cell(writer, i);
      out.finish_row();
      ++fetched;
    }
    return fetched;
  }

 private:
  void write_cell(row_writer& writer, int i) {
    sqlite3_stmt* stmt = stmt_.get();
    const column_kind kind = kinds_[static_cast<size_t>(i)];
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER: {
        sqlite3_int64 v = sqlite3_column_int64(stmt, i);
        if (kind == column_kind::boolean && (v == 0 || v == 1))
          writer.boolean(v == 1);
        else if (kind == column_kind::timestamp && unix_seconds_to_iso(v, scratch_))
          writer.timestamp(scratch_);
        else
          writer.integer(v);
        return;
      }
      case SQLITE_FLOAT:
        writer.real(sqlite3_column_double(stmt, i));
        return;
      case SQLITE_TEXT: {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        std::string_view text(data, static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
        bool flag = false;
        if (kind == column_kind::boolean && parse_boolean_text(text, flag))
          writer.boolean(flag);
        else if (kind == column_kind::timestamp && normalise_timestamp(text, scratch_))
          writer.timestamp(scratch_);
        else
          writer.text(text);
        return;
      }
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        writer.bytes(std::string_view(data, static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
        return;
      }
      default:
        writer.null();
        return;
    }
  }

  db_ptr db_;  // declared first so the statement is finalized before the database closes
  stmt_ptr stmt_;
  schema columns_;
  std::vector<column_kind> kinds_;
  std::string scratch_;  // reused for timestamps, so cells cost no allocation
  std::string error_;
};

}  // namespace

result<std::unique_ptr<source_cursor>> open_sqlite_source(const source_spec& spec) {
  auto model = prepare_model(spec);
  if (!model)
    return model.error();
  return std::unique_ptr<source_cursor>(std::make_unique<sqlite_cursor>(std::move(*model)));
}

result<schema> describe_sqlite_source(const source_spec& spec) {
  auto model = prepare_model(spec);
  if (!model)
    return model.error();
  return std::move(model->cols);
}

source_type sqlite_source_type() {
  source_type t;
  t.name = "sqlite";
  t.summary = "a SQLite database file, opened read-only (the embedded default)";
  t.options = {
    option("path", option_type::string,
           "the SQLite database file, relative to the sync file's directory").mandatory(),
  };
  t.open = open_sqlite_source;
  t.describe = describe_sqlite_source;
  t.window_query = sqlite_window_query;
  t.key_query = standard_key_query;
  t.location = [](const source_spec& spec) {
    auto path = spec.string_option("path");
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    return "sqlite:" + (ec ? path : canonical.string());
  };
  t.check = [](const nlohmann::json& options, const std::string& path, config_errors& errors) {
    auto it = options.find("path");
    if (it != options.end() && it->is_string() && it->get<std::string>().empty())
      errors.add(join_path(path, "path"), "is empty; give the SQLite database file to read");
  };
  t.resolve = [](nlohmann::json& options, const std::filesystem::path& base_dir) {
    auto it = options.find("path");
    if (it == options.end() || !it->is_string())
      return;
    std::filesystem::path p = it->get<std::string>();
    *it = (p.is_relative() && !p.empty() ? base_dir / p : p).lexically_normal().string();
  };
  // A file that is not there (or is no database) is the sync file's fault, not an outage.
  t.config_problem_options = {"path"};
  return t;
}

}  // namespace backflow
