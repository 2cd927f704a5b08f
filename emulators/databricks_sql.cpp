// Runs a statement on SQLite and renders it the Databricks way (see databricks_sql.hpp).
#include "emulators/databricks_sql.hpp"

#include <sqlite3.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <memory>

#include "emulators/databricks_dml.hpp"
#include "emulators/sqlite_writes.hpp"
#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/decimal.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow::emulators {
namespace {

std::string dbx_upper(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

void dbx_append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

bool dbx_digits(std::string_view s, size_t at, size_t n, int& value) {
  if (at + n > s.size())
    return false;
  value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

/// "YYYY-MM-DD[ |T]HH:MM[:SS][.f][Z|±HH:MM]" → "YYYY-MM-DDTHH:MM:SS[.f]" with `zone` appended,
/// shifted to UTC when an offset was written and `to_utc`; the text as is when malformed.
std::string dbx_iso_timestamp(const std::string& s, bool to_utc, const char* zone) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!dbx_digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !dbx_digits(s, 5, 2, mo) ||
      !dbx_digits(s, 8, 2, d) || (s[10] != ' ' && s[10] != 'T') || !dbx_digits(s, 11, 2, h) ||
      !dbx_digits(s, 14, 2, mi))
    return s;
  size_t p = 16;
  if (p < s.size() && s[p] == ':') {
    if (!dbx_digits(s, p + 1, 2, sec))
      return s;
    p += 3;
  }
  std::string fraction;
  if (p < s.size() && s[p] == '.') {
    while (++p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])))
      fraction.push_back(s[p]);
  }
  while (!fraction.empty() && fraction.back() == '0')
    fraction.pop_back();
  int offset = 0;
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh = 0, om = 0;
    if (!dbx_digits(s, p + 1, 2, oh) || !dbx_digits(s, p + 4, 2, om))
      return s;
    offset = (s[p] == '-' ? -1 : 1) * (oh * 60 + om);
  }
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (to_utc)
    seconds -= int64_t{offset} * 60;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t of_day = seconds - days * 86400;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(year),
                month, day, static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60),
                static_cast<int>(of_day % 60));
  return std::string(buf) + (fraction.empty() ? "" : "." + fraction) + zone;
}

std::string dbx_fixed_text(const std::string& raw, int scale) {
  auto decimal = normalize_decimal(raw);
  if (!decimal)
    return raw;
  std::string out = *decimal;
  size_t dot = out.find('.');
  if (scale == 0)
    return dot == std::string::npos ? out : out.substr(0, dot);
  size_t have = dot == std::string::npos ? 0 : out.size() - dot - 1;
  if (dot == std::string::npos)
    out.push_back('.');
  if (have < static_cast<size_t>(scale))
    out.append(static_cast<size_t>(scale) - have, '0');
  else
    out.resize(out.find('.') + 1 + static_cast<size_t>(scale));
  return out;
}

std::string dbx_raw_text(sqlite3_stmt* stmt, int c) {
  switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(stmt, c));
    case SQLITE_FLOAT:
      return shortest_real_text(sqlite3_column_double(stmt, c));
    default: {
      const void* data = sqlite3_column_blob(stmt, c);
      int size = sqlite3_column_bytes(stmt, c);
      return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
    }
  }
}

/// A double as Java prints it in JSON_ARRAY: "-0.0", "NaN", "Infinity".
std::string dbx_double_text(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v < 0 ? "-Infinity" : "Infinity";
  if (v == 0)
    return std::signbit(v) ? "-0.0" : "0.0";
  return shortest_real_text(v);
}

/// One non-null value as JSON_ARRAY prints it for `type` (always a string).
std::string dbx_render(sqlite3_stmt* stmt, int c, const dbx_type& type) {
  const int storage = sqlite3_column_type(stmt, c);
  std::string raw = dbx_raw_text(stmt, c);
  const std::string& t = type.name;
  if (t == "LONG" || t == "INT" || t == "SHORT" || t == "BYTE")
    return dbx_fixed_text(raw, 0);
  if (t == "DECIMAL")
    return dbx_fixed_text(raw, type.scale);
  if (t == "DOUBLE" || t == "FLOAT") {
    if (storage == SQLITE_FLOAT || storage == SQLITE_INTEGER)
      return dbx_double_text(sqlite3_column_double(stmt, c));
    return raw == "-0" ? "-0.0" : raw;
  }
  if (t == "BOOLEAN") {
    std::string v = dbx_upper(raw);
    return v == "1" || v == "TRUE" || v == "T" ? "true" : "false";
  }
  if (t == "BINARY")
    return base64_encode(raw);
  if (t == "TIMESTAMP")
    return dbx_iso_timestamp(raw, true, "Z");
  if (t == "TIMESTAMP_NTZ")
    return dbx_iso_timestamp(raw, false, "");
  return raw;
}

dbx_type dbx_inferred(int storage) {
  dbx_type t;
  if (storage == SQLITE_INTEGER)
    t = {"LONG", "BIGINT", 0, 0};
  else if (storage == SQLITE_FLOAT)
    t = {"DOUBLE", "DOUBLE", 0, 0};
  else if (storage == SQLITE_BLOB)
    t = {"BINARY", "BINARY", 0, 0};
  return t;
}

nlohmann::json dbx_column_entry(const std::string& name, int position, const dbx_type& t) {
  nlohmann::json c = {{"name", name}, {"position", position}, {"type_name", t.name},
                      {"type_text", t.text}};
  if (t.name == "DECIMAL") {
    c["type_precision"] = t.precision;
    c["type_scale"] = t.scale;
  }
  return c;
}

/// Spark's error classes for what SQLite says.
dbx_error dbx_error_of(sqlite3* db) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "cannot open the database";
  std::string error_class = message.find("no such table") != std::string::npos
                                ? "TABLE_OR_VIEW_NOT_FOUND"
                            : message.find("no such column") != std::string::npos
                                ? "UNRESOLVED_COLUMN"
                                : "PARSE_SYNTAX_ERROR";
  return {"BAD_REQUEST", "[" + error_class + "] " + message + " SQLSTATE: 42000"};
}

struct dbx_db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct dbx_stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

}  // namespace

bool dbx_bind_parameters(sqlite3_stmt* stmt, const nlohmann::json& parameters, dbx_error& error) {
  if (!parameters.is_array())
    return true;
  for (const auto& p : parameters) {
    std::string name = p.is_object() ? p.value("name", "") : "";
    int i = sqlite3_bind_parameter_index(stmt, (":" + name).c_str());
    if (i == 0) {
      error = {"BAD_REQUEST", "[UNBOUND_SQL_PARAMETER] Found the unbound parameter: " + name};
      return false;
    }
    if (!p.contains("value") || p["value"].is_null()) {
      sqlite3_bind_null(stmt, i);
      continue;
    }
    std::string value = p["value"].is_string() ? p["value"].get<std::string>() : p["value"].dump();
    // Databricks casts the value to the parameter's `type` (STRING when absent).
    std::string type = dbx_upper(p.value("type", "STRING"));
    int rc = SQLITE_OK;
    if (type == "BIGINT" || type == "INT" || type == "INTEGER" || type == "SMALLINT" ||
        type == "TINYINT") {
      char* end = nullptr;
      errno = 0;
      long long number = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno == ERANGE) {
        error = {"BAD_REQUEST", "[CAST_INVALID_INPUT] The value '" + value +
                                    "' of the type \"STRING\" cannot be cast to \"" + type +
                                    "\" because it is malformed."};
        return false;
      }
      rc = sqlite3_bind_int64(stmt, i, number);
    } else if (type == "DOUBLE" || type == "FLOAT") {
      rc = sqlite3_bind_double(stmt, i, std::strtod(value.c_str(), nullptr));
    } else if (type == "BOOLEAN") {
      rc = sqlite3_bind_int(stmt, i, dbx_upper(value) == "TRUE" ? 1 : 0);
    } else {
      rc = sqlite3_bind_text(stmt, i, value.c_str(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) {
      error = {"BAD_REQUEST", "cannot bind parameter " + name};
      return false;
    }
  }
  return true;
}


bool dbx_type_named(std::string text, dbx_type& out) {
  text = dbx_upper(text);
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  if (text.empty())
    return false;
  std::string base = text.substr(0, text.find_first_of("(< "));
  if (base == "DECIMAL" || base == "NUMERIC" || base == "DEC" || base == "NUMBER") {
    out = {"DECIMAL", "", 10, 0};
    size_t paren = text.find('(');
    if (paren != std::string::npos)
      std::sscanf(text.c_str() + paren, "(%d,%d)", &out.precision, &out.scale);
    out.text = "DECIMAL(" + std::to_string(out.precision) + "," + std::to_string(out.scale) + ")";
    return true;
  }
  if (base == "ARRAY" || base == "MAP" || base == "STRUCT" || base == "INTERVAL") {
    out = {base, text, 0, 0};
    return true;
  }
  static const std::pair<const char*, const char*> names[] = {
      {"BIGINT", "LONG"},   {"LONG", "LONG"},        {"INTEGER", "LONG"}, {"INT", "INT"},
      {"SMALLINT", "SHORT"}, {"SHORT", "SHORT"},     {"TINYINT", "BYTE"}, {"BYTE", "BYTE"},
      {"DOUBLE", "DOUBLE"}, {"REAL", "DOUBLE"},      {"FLOAT", "FLOAT"},  {"BOOLEAN", "BOOLEAN"},
      {"BOOL", "BOOLEAN"},  {"DATE", "DATE"},        {"TIMESTAMP", "TIMESTAMP"},
      {"DATETIME", "TIMESTAMP"}, {"TIMESTAMP_LTZ", "TIMESTAMP"},
      {"TIMESTAMP_NTZ", "TIMESTAMP_NTZ"}, {"BINARY", "BINARY"}, {"BLOB", "BINARY"},
      {"STRING", "STRING"}, {"TEXT", "STRING"},      {"VARCHAR", "STRING"}, {"CHAR", "STRING"}};
  for (const auto& [from, to] : names)
    if (base == from) {
      static const std::pair<const char*, const char*> texts[] = {
          {"LONG", "BIGINT"}, {"SHORT", "SMALLINT"}, {"BYTE", "TINYINT"}};
      out = dbx_type{to, to, 0, 0};
      for (const auto& [n, shown] : texts)
        if (out.name == n)
          out.text = shown;
      return true;
    }
  return false;
}

bool run_dbx_statement(const std::string& database, const std::string& statement,
                       const nlohmann::json& parameters, std::size_t chunk_rows, dbx_result& out,
                       dbx_error& error) {
  sqlite3* raw_db = nullptr;
  int rc = sqlite3_open_v2(database.c_str(), &raw_db, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, dbx_db_closer> db(raw_db);
  if (rc != SQLITE_OK) {
    error = dbx_error_of(raw_db);
    return false;
  }
  std::string attach_error;
  if (!attach_schemas(db.get(), database, attach_error)) {
    error = {"INTERNAL_ERROR", attach_error};
    return false;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  if (auto written = run_dbx_write(db.get(), database, statement, parameters, out, error))
    return *written;
  const std::string sql = with_sqlite_types(statement);
  sqlite3_stmt* raw_stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()),
                         &raw_stmt, &tail) != SQLITE_OK || raw_stmt == nullptr) {
    error = dbx_error_of(db.get());
    return false;
  }
  std::unique_ptr<sqlite3_stmt, dbx_stmt_finalizer> stmt(raw_stmt);
  std::string rest = tail != nullptr ? tail : "";
  if (rest.find_first_not_of(" \t\r\n;") != std::string::npos) {
    error = {"BAD_REQUEST", "[PARSE_SYNTAX_ERROR] Syntax error: only one statement is allowed."};
    return false;
  }
  if (!dbx_bind_parameters(stmt.get(), parameters, error))
    return false;
  const int count = sqlite3_column_count(stmt.get());
  std::vector<dbx_type> types(static_cast<size_t>(count));
  std::vector<std::string> names(static_cast<size_t>(count));
  std::vector<bool> known(static_cast<size_t>(count), false);
  for (int c = 0; c < count; ++c) {
    std::string name = sqlite3_column_name(stmt.get(), c);
    size_t suffix = name.rfind("::");
    if (suffix != std::string::npos && dbx_type_named(name.substr(suffix + 2), types[c])) {
      known[c] = true;
      name.resize(suffix);
    } else if (const char* decl = sqlite3_column_decltype(stmt.get(), c)) {
      known[c] = dbx_type_named(decl, types[c]);
    }
    names[c] = name;
  }
  std::string chunk = "[";
  std::size_t in_chunk = 0;
  auto close_chunk = [&] {
    chunk.push_back(']');
    out.chunks.push_back(std::move(chunk));
    out.chunk_rows.push_back(in_chunk);
    chunk = "[";
    in_chunk = 0;
  };
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (in_chunk == chunk_rows)
      close_chunk();
    chunk += in_chunk == 0 ? "[" : ",[";
    for (int c = 0; c < count; ++c) {
      if (c > 0)
        chunk.push_back(',');
      int storage = sqlite3_column_type(stmt.get(), c);
      if (storage == SQLITE_NULL) {
        chunk += "null";
        continue;
      }
      if (!known[c]) {
        types[c] = dbx_inferred(storage);
        known[c] = true;
      }
      dbx_append_json_string(chunk, dbx_render(stmt.get(), c, types[c]));
    }
    chunk.push_back(']');
    ++in_chunk;
    ++out.rows;
  }
  if (rc != SQLITE_DONE) {
    error = dbx_error_of(db.get());
    return false;
  }
  if (count == 0) {
    dbx_change_result(db.get(), sql, out);  // DML or DDL: what it changed
    return true;
  }
  if (in_chunk > 0 || out.chunks.empty())
    close_chunk();
  for (int c = 0; c < count; ++c)
    out.columns.push_back(dbx_column_entry(names[c], c, types[c]));
  return true;
}

}  // namespace backflow::emulators
