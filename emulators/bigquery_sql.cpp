// Runs a query on SQLite and renders it the BigQuery way (see bigquery_sql.hpp).
#include "emulators/bigquery_sql.hpp"

#include <sqlite3.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "emulators/bigquery_numeric.hpp"
#include "emulators/bigquery_dml.hpp"
#include "emulators/sqlite_writes.hpp"
#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/decimal.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow::emulators {
namespace {

std::string bq_upper(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string bq_trim(const std::string& text) {
  size_t a = text.find_first_not_of(" \t\n");
  size_t b = text.find_last_not_of(" \t\n");
  return a == std::string::npos ? "" : text.substr(a, b - a + 1);
}

/// Splits "a T, b STRUCT<c T, d T>" at the top-level commas.
std::vector<std::string> bq_top_level_parts(const std::string& text) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    depth += c == '<' ? 1 : c == '>' ? -1 : 0;
    if (c == ',' && depth == 0) {
      parts.push_back(bq_trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return parts;
}

bool bq_digits(std::string_view s, size_t at, size_t n, int& value) {
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

/// "YYYY-MM-DD[ |T]HH:MM:SS[.f][Z|±HH:MM]" as microseconds since the epoch (UTC).
bool bq_timestamp_micros(std::string_view s, int64_t& micros) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!bq_digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !bq_digits(s, 5, 2, mo) || s[7] != '-' ||
      !bq_digits(s, 8, 2, d))
    return false;
  size_t p = 10;
  int64_t fraction = 0;
  if (p < s.size() && (s[p] == ' ' || s[p] == 'T')) {
    if (!bq_digits(s, p + 1, 2, h) || !bq_digits(s, p + 4, 2, mi) || !bq_digits(s, p + 7, 2, sec))
      return false;
    p += 9;
    if (p < s.size() && s[p] == '.') {
      int64_t scale = 100'000;
      for (++p; p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])); ++p, scale /= 10)
        fraction += (s[p] - '0') * scale;
    }
  }
  int offset = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh = 0, om = 0;
    if (!bq_digits(s, p + 1, 2, oh) || !bq_digits(s, p + 4, 2, om))
      return false;
    offset = (s[p] == '-' ? -1 : 1) * (oh * 60 + om);
    p += 6;
  }
  if (p != s.size())
    return false;
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset * 60;
  micros = seconds * 1'000'000 + fraction;
  return true;
}

std::string bq_raw_text(sqlite3_stmt* stmt, int c) {
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

std::string bq_float_text(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v < 0 ? "-Infinity" : "Infinity";
  return shortest_real_text(v);
}

/// A bq_scalar's wire text for `type`, from its SQLite text (or JSON bq_scalar) form.
nlohmann::json bq_scalar(const std::string& type, const std::string& raw, bool int64_ts) {
  if (type == "INT64") {
    auto decimal = normalize_decimal(raw);
    return decimal ? *decimal : raw;
  }
  if (type == "NUMERIC" || type == "BIGNUMERIC") {
    auto decimal =
        bq_numeric_text(raw, type == "NUMERIC" ? bq_numeric_scale : bq_bignumeric_scale);
    return decimal ? *decimal : raw;
  }
  if (type == "FLOAT64") {
    char* end = nullptr;
    double v = std::strtod(raw.c_str(), &end);
    return end != raw.c_str() ? bq_float_text(v) : raw;
  }
  if (type == "BOOL") {
    std::string v = bq_upper(raw);
    return std::string(v == "1" || v == "TRUE" ? "true" : "false");
  }
  if (type == "BYTES")
    return base64_encode(raw);
  if (type == "DATE")
    return raw.substr(0, 10);
  if (type == "DATETIME") {
    std::string v = raw;
    if (v.size() > 10 && v[10] == ' ')
      v[10] = 'T';
    return v;
  }
  int64_t micros = 0;
  if (type == "TIMESTAMP" && bq_timestamp_micros(raw, micros)) {
    if (int64_ts)
      return std::to_string(micros);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.15E", static_cast<double>(micros) / 1e6);
    return std::string(buf);  // the classic float seconds, e.g. "1.704067200000000E+09"
  }
  return raw;
}

/// `value` (parsed from the column's JSON text) rendered as the `v` of `type`.
nlohmann::json bq_nested(const bq_type& type, const nlohmann::json& value, bool int64_ts) {
  if (value.is_null())
    return nullptr;
  if (type.repeated) {
    bq_type element = type;
    element.repeated = false;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value.is_array() ? value : nlohmann::json::array({value}))
      out.push_back({{"v", bq_nested(element, item, int64_ts)}});
    return out;
  }
  if (type.name == "RECORD") {
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& [name, field] : type.fields)
      cells.push_back({{"v", value.is_object() && value.contains(name)
                                  ? bq_nested(field, value[name], int64_ts)
                                  : nlohmann::json()}});
    return {{"f", cells}};
  }
  if (type.name == "JSON")
    return value.dump();
  std::string raw = value.is_string() ? value.get<std::string>() : value.dump();
  if (value.is_boolean())
    raw = value.get<bool>() ? "true" : "false";
  return bq_scalar(type.name, raw, int64_ts);
}

nlohmann::json bq_cell_value(sqlite3_stmt* stmt, int c, const bq_type& type, bool int64_ts) {
  if (sqlite3_column_type(stmt, c) == SQLITE_NULL)
    return nullptr;
  std::string raw = bq_raw_text(stmt, c);
  if (type.repeated || type.name == "RECORD") {
    auto parsed = nlohmann::json::parse(raw, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json(raw) : bq_nested(type, parsed, int64_ts);
  }
  return bq_scalar(type.name, raw, int64_ts);
}

bq_type bq_inferred(int storage) {
  bq_type t;
  t.name = storage == SQLITE_INTEGER ? "INT64"
           : storage == SQLITE_FLOAT ? "FLOAT64"
           : storage == SQLITE_BLOB  ? "BYTES"
                                     : "STRING";
  return t;
}

bq_error bq_error_of(sqlite3* db) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "cannot open the database";
  if (message.rfind("no such table: ", 0) == 0)
    return {404, "notFound", "Not found: Table " + message.substr(15) +
                                 " was not found in location US"};
  if (message.rfind("no such column: ", 0) == 0)
    return {400, "invalidQuery", "Unrecognized name: " + message.substr(16) + " at [1:1]"};
  return {400, "invalidQuery", "Syntax error: " + message + " at [1:1]"};
}

struct bq_db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct bq_stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

}  // namespace

bool bq_bind_parameters(sqlite3_stmt* stmt, const nlohmann::json& parameters, bq_error& error) {
  for (const auto& p : parameters.is_array() ? parameters : nlohmann::json::array()) {
    std::string name = "@" + p.value("name", "");
    int index = sqlite3_bind_parameter_index(stmt, name.c_str());
    if (index == 0)
      continue;
    std::string type = p.contains("parameterType") ? p["parameterType"].value("type", "STRING") : "STRING";
    const auto& v = p.contains("parameterValue") ? p["parameterValue"] : nlohmann::json();
    if (!v.is_object() || !v.contains("value") || v["value"].is_null()) {
      sqlite3_bind_null(stmt, index);
      continue;
    }
    std::string value = v["value"].is_string() ? v["value"].get<std::string>() : v["value"].dump();
    if (type == "INT64")
      sqlite3_bind_int64(stmt, index, std::strtoll(value.c_str(), nullptr, 10));
    else if (type == "FLOAT64")
      sqlite3_bind_double(stmt, index, std::strtod(value.c_str(), nullptr));
    else
      sqlite3_bind_text(stmt, index, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    bool given = false;
    if (parameters.is_array())
      for (const auto& p : parameters)
        given = given || (name != nullptr && "@" + p.value("name", "") == name);
    if (!given) {
      error = {400, "invalidQuery",
               std::string("Query parameter '") + (name != nullptr ? name + 1 : "?") +
                   "' not found at [1:1]"};
      return false;
    }
  }
  return true;
}


bool bq_type_named(const std::string& text_in, bq_type& out) {
  std::string text = bq_trim(text_in);
  std::string name = bq_upper(text.substr(0, text.find_first_of("<( ")));
  if (name == "ARRAY" && text.size() > 7 && text.back() == '>') {
    if (!bq_type_named(text.substr(6, text.size() - 7), out) || out.repeated)
      return false;
    out.repeated = true;
    return true;
  }
  if ((name == "STRUCT" || name == "RECORD") && text.size() > 8 && text.back() == '>') {
    bq_type record;
    record.name = "RECORD";
    for (const auto& part : bq_top_level_parts(text.substr(7, text.size() - 8))) {
      size_t space = part.find(' ');
      bq_type field;
      if (space == std::string::npos || !bq_type_named(part.substr(space + 1), field))
        return false;
      record.fields.emplace_back(part.substr(0, space), field);
    }
    out = record;
    return true;
  }
  static const std::pair<const char*, const char*> names[] = {
      {"INT64", "INT64"},         {"INTEGER", "INT64"},     {"INT", "INT64"},
      {"BIGINT", "INT64"},        {"NUMERIC", "NUMERIC"},   {"DECIMAL", "NUMERIC"},
      {"BIGNUMERIC", "BIGNUMERIC"}, {"FLOAT64", "FLOAT64"}, {"FLOAT", "FLOAT64"},
      {"REAL", "FLOAT64"},        {"DOUBLE", "FLOAT64"},    {"BOOL", "BOOL"},
      {"BOOLEAN", "BOOL"},        {"STRING", "STRING"},     {"TEXT", "STRING"},
      {"VARCHAR", "STRING"},      {"BYTES", "BYTES"},       {"BLOB", "BYTES"},
      {"DATE", "DATE"},           {"DATETIME", "DATETIME"}, {"TIME", "TIME"},
      {"TIMESTAMP", "TIMESTAMP"}, {"JSON", "JSON"}};
  for (const auto& [from, to] : names)
    if (name == from) {
      out = bq_type{};
      out.name = to;
      return true;
    }
  return false;
}

nlohmann::json bq_schema_field(const std::string& name, const bq_type& type) {
  nlohmann::json f = {{"name", name},
                      {"type", type.name == "RECORD" ? "RECORD" : type.name},
                      {"mode", type.repeated ? "REPEATED" : "NULLABLE"}};
  if (type.name == "RECORD") {
    f["fields"] = nlohmann::json::array();
    for (const auto& [sub, t] : type.fields)
      f["fields"].push_back(bq_schema_field(sub, t));
  }
  return f;
}

bool run_bq_query(const std::string& database, const std::string& query,
                  const nlohmann::json& parameters, bool int64_ts, bq_result& out,
                  bq_error& error) {
  sqlite3* raw_db = nullptr;
  int rc = sqlite3_open_v2(database.c_str(), &raw_db, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, bq_db_closer> db(raw_db);
  std::string attach_error;
  if (rc != SQLITE_OK || !attach_schemas(db.get(), database, attach_error)) {
    error = {500, "backendError", "The emulator cannot open its database"};
    return false;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  if (auto written = run_bq_write(db.get(), database, query, parameters, out, error))
    return *written;
  const std::string sql = with_sqlite_types(query);
  sqlite3_stmt* raw_stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()), &raw_stmt,
                         &tail) != SQLITE_OK || raw_stmt == nullptr) {
    error = raw_stmt == nullptr && sqlite3_errcode(db.get()) == SQLITE_OK
                ? bq_error{400, "invalidQuery", "Syntax error: Unexpected end of script at [1:1]"}
                : bq_error_of(db.get());
    return false;
  }
  std::unique_ptr<sqlite3_stmt, bq_stmt_finalizer> stmt(raw_stmt);
  if (std::string(tail != nullptr ? tail : "").find_first_not_of(" \t\r\n;") != std::string::npos) {
    error = {400, "invalidQuery", "The emulator runs one statement per query, not a script"};
    return false;
  }
  if (!bq_bind_parameters(stmt.get(), parameters, error))
    return false;
  const int count = sqlite3_column_count(stmt.get());
  std::vector<bq_type> types(static_cast<size_t>(count));
  std::vector<std::string> names(static_cast<size_t>(count));
  std::vector<bool> known(static_cast<size_t>(count), false);
  for (int c = 0; c < count; ++c) {
    std::string name = sqlite3_column_name(stmt.get(), c);
    size_t suffix = name.find("::");
    if (suffix != std::string::npos && bq_type_named(name.substr(suffix + 2), types[c])) {
      known[c] = true;
      name.resize(suffix);
    } else if (const char* decl = sqlite3_column_decltype(stmt.get(), c)) {
      known[c] = bq_type_named(decl, types[c]);
    }
    names[c] = name;
  }
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    nlohmann::json cells = nlohmann::json::array();
    for (int c = 0; c < count; ++c) {
      int storage = sqlite3_column_type(stmt.get(), c);
      if (!known[c] && storage != SQLITE_NULL) {
        types[c] = bq_inferred(storage);
        known[c] = true;
      }
      cells.push_back({{"v", bq_cell_value(stmt.get(), c, types[c], int64_ts)}});
    }
    out.rows.push_back(nlohmann::json{{"f", cells}}.dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace));
  }
  if (rc != SQLITE_DONE) {
    error = bq_error_of(db.get());
    return false;
  }
  if (count == 0) {
    bq_change_result(db.get(), sql, out);  // DML or DDL: what it changed
    return true;
  }
  for (int c = 0; c < count; ++c)
    out.schema["fields"].push_back(bq_schema_field(names[c], types[c]));
  return true;
}

}  // namespace backflow::emulators
