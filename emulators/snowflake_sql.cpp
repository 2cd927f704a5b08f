// Runs a statement on SQLite and renders it the Snowflake way (see snowflake_sql.hpp).
#include "emulators/snowflake_sql.hpp"

#include <sqlite3.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/decimal.hpp"
#include "pipelines/core/row_codec.hpp"
#include "emulators/snowflake_dml.hpp"
#include "emulators/sqlite_writes.hpp"

namespace backflow::emulators {
namespace {

std::string upper_name(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

void append_snow_string(std::string& out, std::string_view text) {
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

bool digits(std::string_view s, size_t at, size_t n, int& value) {
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

/// Reads "YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]]": epoch seconds of the wall clock,
/// nanoseconds, and the offset in minutes (`has_offset` when one was written).
bool parse_datetime(std::string_view s, int64_t& seconds, int64_t& nanos, int& offset,
                    bool& has_offset) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d))
    return false;
  size_t p = 10;
  nanos = 0;
  offset = 0;
  has_offset = false;
  if (p < s.size() && (s[p] == ' ' || s[p] == 'T')) {
    if (!digits(s, p + 1, 2, h) || !digits(s, p + 4, 2, mi))
      return false;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, sec))
        return false;
      p += 3;
    }
    if (p < s.size() && s[p] == '.') {
      size_t q = p + 1;
      int64_t scale = 100'000'000;
      while (q < s.size() && std::isdigit(static_cast<unsigned char>(s[q]))) {
        nanos += (s[q] - '0') * scale;
        scale /= 10;
        ++q;
      }
      p = q;
    }
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    has_offset = true;
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, p + 1, 2, oh))
      return false;
    size_t q = p + 3;
    if (q < s.size() && s[q] == ':')
      ++q;
    if (q < s.size() && !digits(s, q, 2, om))
      return false;
    offset = (s[p] == '-' ? -1 : 1) * (oh * 60 + om);
    has_offset = true;
    p = q + (q < s.size() ? 2 : 0);
  }
  if (p != s.size())
    return false;
  seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

/// "S.fffffffff" with a sign, the SQL API's form of TIME and TIMESTAMP values.
std::string epoch_text(int64_t seconds, int64_t nanos) {
  bool negative = seconds < 0;
  if (negative && nanos != 0) {
    seconds += 1;
    nanos = 1'000'000'000 - nanos;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%09lld", negative ? "-" : "",
                static_cast<long long>(negative ? -seconds : seconds),
                static_cast<long long>(nanos));
  return buf;
}

std::string value_text(sqlite3_stmt* stmt, int c) {
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

std::string fixed_text(const std::string& raw, int scale) {
  auto decimal = normalize_decimal(raw);
  if (!decimal)
    return raw;
  std::string out = *decimal;
  size_t dot = out.find('.');
  size_t have = dot == std::string::npos ? 0 : out.size() - dot - 1;
  if (scale == 0)
    return dot == std::string::npos ? out : out.substr(0, dot);
  if (dot == std::string::npos)
    out.push_back('.');
  if (have < static_cast<size_t>(scale))
    out.append(static_cast<size_t>(scale) - have, '0');
  else
    out.resize(out.find('.') + 1 + static_cast<size_t>(scale));
  return out;
}

/// One non-null value as the SQL API prints it for `type`.
std::string render(sqlite3_stmt* stmt, int c, const snow_type& type) {
  const int storage = sqlite3_column_type(stmt, c);
  std::string raw = value_text(stmt, c);
  const std::string& t = type.name;
  if (t == "FIXED")
    return fixed_text(raw, type.scale);
  if (t == "BOOLEAN") {
    std::string v = upper_name(raw);
    return v == "1" || v == "TRUE" || v == "T" ? "true" : "false";
  }
  if (t == "BINARY")
    return upper_name(hex_encode(raw));
  if (t == "VARIANT" || t == "OBJECT" || t == "ARRAY")
    return snow_pretty_json(raw);
  if (t == "REAL" && storage == SQLITE_FLOAT && std::isinf(sqlite3_column_double(stmt, c)))
    return raw;  // "inf" / "-inf", as Snowflake prints them
  int64_t seconds = 0;
  int64_t nanos = 0;
  int offset = 0;
  bool has_offset = false;
  if (t == "TIME") {
    int h = 0, m = 0, s = 0;
    if (digits(raw, 0, 2, h) && digits(raw, 3, 2, m) && digits(raw, 6, 2, s)) {
      parse_datetime("1970-01-01 " + raw, seconds, nanos, offset, has_offset);
      return epoch_text(seconds, nanos);
    }
    return raw;
  }
  bool is_timestamp = t == "DATE" || t.rfind("TIMESTAMP", 0) == 0;
  if (!is_timestamp)
    return raw;
  if (storage == SQLITE_INTEGER) {
    seconds = sqlite3_column_int64(stmt, c);
  } else if (!parse_datetime(raw, seconds, nanos, offset, has_offset)) {
    return raw;
  }
  if (t == "DATE")
    return std::to_string(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400);
  if (t == "TIMESTAMP_NTZ")
    return epoch_text(seconds, nanos);
  seconds -= int64_t{offset} * 60;  // the instant, in UTC
  if (t == "TIMESTAMP_TZ")
    return epoch_text(seconds, nanos) + " " + std::to_string(offset + 1440);
  return epoch_text(seconds, nanos);
}

snow_type inferred(int storage) {
  snow_type t;
  if (storage == SQLITE_INTEGER)
    t = {"FIXED", 38, 0};
  else if (storage == SQLITE_FLOAT)
    t.name = "REAL";
  else if (storage == SQLITE_BLOB)
    t.name = "BINARY";
  return t;
}

/// One rowType entry; Snowflake names types in lowercase ("fixed", "timestamp_tz").
nlohmann::json row_type_entry(const std::string& name, const snow_type& t) {
  std::string lower = t.name;
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool fixed = t.name == "FIXED";
  const bool clock = t.name == "TIME" || t.name.rfind("TIMESTAMP", 0) == 0;
  const bool text = t.name == "TEXT";
  nlohmann::json none = nullptr;
  return {{"name", name},
          {"database", ""},
          {"schema", ""},
          {"table", ""},
          {"nullable", true},
          {"type", lower},
          {"precision", fixed ? nlohmann::json(t.precision) : none},
          {"scale", fixed ? nlohmann::json(t.scale) : clock ? nlohmann::json(9) : none},
          {"length", text ? nlohmann::json(16777216) : none},
          {"byteLength", text ? nlohmann::json(16777216) : none},
          {"collation", none}};
}

void fail_with(sqlite3* db, snow_error& error) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "cannot open the database";
  bool missing = message.find("no such") != std::string::npos;
  error = {missing ? "002003" : "001003", missing ? "02000" : "42000",
           "SQL compilation error:\n" + message};
}

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

}  // namespace

bool snow_bind_all(sqlite3_stmt* stmt, const nlohmann::json& bindings) {
  if (!bindings.is_object())
    return sqlite3_bind_parameter_count(stmt) == 0;
  // Snowflake refuses a statement whose bindings do not match its placeholders.
  if (static_cast<int>(bindings.size()) != sqlite3_bind_parameter_count(stmt))
    return false;
  for (const auto& [index, binding] : bindings.items()) {
    int i = std::atoi(index.c_str());
    if (!binding.is_object() || (binding.contains("value") && binding["value"].is_null())) {
      if (sqlite3_bind_null(stmt, i) != SQLITE_OK)
        return false;
      continue;
    }
    std::string value = binding.contains("value") && binding["value"].is_string()
                            ? binding["value"].get<std::string>()
                            : std::string();
    std::string type = binding.value("type", "TEXT");
    errno = 0;
    char* end = nullptr;
    long long integer = std::strtoll(value.c_str(), &end, 10);
    bool fits = errno == 0 && end != value.c_str() && *end == '\0';  // else kept as text, exact
    int rc = type == "FIXED" && fits ? sqlite3_bind_int64(stmt, i, integer)
             : type == "REAL" ? sqlite3_bind_double(stmt, i, std::strtod(value.c_str(), nullptr))
                              : sqlite3_bind_text(stmt, i, value.c_str(), static_cast<int>(value.size()),
                                                  SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
      return false;
  }
  return true;
}

bool snow_type_named(std::string text, snow_type& out) {
  text = upper_name(text);
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  if (text.empty())
    return false;
  size_t paren = text.find('(');
  std::string base = text.substr(0, paren);
  while (!base.empty() && base.back() == ' ')
    base.pop_back();
  if (base == "NUMBER" || base == "DECIMAL" || base == "NUMERIC" || base == "FIXED") {
    out = {"FIXED", 38, 0};
    if (paren != std::string::npos)
      std::sscanf(text.c_str() + paren, "(%d,%d)", &out.precision, &out.scale);
    return true;
  }
  if (base.find("INT") != std::string::npos) {
    out = {"FIXED", 38, 0};
    return true;
  }
  static const std::pair<const char*, const char*> names[] = {
      {"REAL", "REAL"},       {"FLOAT", "REAL"},          {"DOUBLE", "REAL"},
      {"BOOLEAN", "BOOLEAN"}, {"BOOL", "BOOLEAN"},        {"DATE", "DATE"},
      {"TIME", "TIME"},       {"DATETIME", "TIMESTAMP_NTZ"}, {"TIMESTAMP", "TIMESTAMP_NTZ"},
      {"TIMESTAMP_NTZ", "TIMESTAMP_NTZ"}, {"TIMESTAMP_LTZ", "TIMESTAMP_LTZ"},
      {"TIMESTAMP_TZ", "TIMESTAMP_TZ"},   {"TIMESTAMPTZ", "TIMESTAMP_TZ"},
      {"VARIANT", "VARIANT"}, {"JSON", "VARIANT"},        {"OBJECT", "OBJECT"},
      {"ARRAY", "ARRAY"},     {"BLOB", "BINARY"},         {"BINARY", "BINARY"},
      {"TEXT", "TEXT"},       {"VARCHAR", "TEXT"},        {"STRING", "TEXT"},
      {"CHAR", "TEXT"},       {"CLOB", "TEXT"}};
  for (const auto& [from, to] : names)
    if (base == from) {
      out = snow_type{to, 0, 0};
      return true;
    }
  return false;
}

std::string snow_pretty_json(const std::string& json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&] {
    out.push_back('\n');
    out.append(static_cast<size_t>(depth) * 2, ' ');
  };
  auto next_significant = [&](size_t i) {
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i])))
      ++i;
    return i < json.size() ? json[i] : '\0';
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size())
        out.push_back(json[++i]);
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c == '{' || c == '[') {
      out.push_back(c);
      char close = c == '{' ? '}' : ']';
      if (next_significant(i + 1) == close)
        continue;
      ++depth;
      newline();
    } else if (c == '}' || c == ']') {
      if (!out.empty() && (out.back() == '{' || out.back() == '[')) {
        out.push_back(c);
        continue;
      }
      --depth;
      newline();
      out.push_back(c);
    } else if (c == ',') {
      out.push_back(c);
      newline();
    } else if (c == ':') {
      out += ": ";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool run_snow_statement(const std::string& database, const std::string& statement,
                      const nlohmann::json& bindings, std::size_t partition_rows,
                      const std::atomic<bool>& cancelled, snow_result& out, snow_error& error) {
  sqlite3* raw_db = nullptr;
  int rc = sqlite3_open_v2(database.c_str(), &raw_db, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, db_closer> db(raw_db);
  if (rc != SQLITE_OK) {
    fail_with(raw_db, error);
    return false;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  std::string attach_error;
  if (!attach_schemas(db.get(), database, attach_error)) {
    error = {"000603", "XX000", "SQL execution internal error: " + attach_error};
    return false;
  }
  snow_register_functions(db.get());
  const std::string numbered = numbered_placeholders(statement);
  if (auto written = run_snow_write(db.get(), database, numbered, bindings, out, error))
    return *written;
  sqlite3_stmt* raw_stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db.get(), numbered.c_str(), static_cast<int>(numbered.size()),
                         &raw_stmt, &tail) != SQLITE_OK || raw_stmt == nullptr) {
    fail_with(db.get(), error);
    if (raw_stmt == nullptr && sqlite3_errcode(db.get()) == SQLITE_OK)
      error.message = "SQL compilation error:\nempty statement";
    return false;
  }
  std::unique_ptr<sqlite3_stmt, stmt_finalizer> stmt(raw_stmt);
  std::string rest = tail != nullptr ? tail : "";
  if (rest.find_first_not_of(" \t\r\n;") != std::string::npos) {
    error = {"000008", "0A000",
             "Actual statement count 2 did not match the desired statement count 1."};
    return false;
  }
  if (!snow_bind_all(stmt.get(), bindings)) {
    error = {"002049", "42601", "SQL compilation error: bind variable mismatch"};
    return false;
  }
  const int count = sqlite3_column_count(stmt.get());
  std::vector<snow_type> types(static_cast<size_t>(count));
  std::vector<std::string> names(static_cast<size_t>(count));
  std::vector<bool> known(static_cast<size_t>(count), false);
  for (int c = 0; c < count; ++c) {
    std::string name = sqlite3_column_name(stmt.get(), c);
    size_t suffix = name.rfind("::");
    if (suffix != std::string::npos && snow_type_named(name.substr(suffix + 2), types[c])) {
      known[c] = true;
      name.resize(suffix);
    } else if (const char* decl = sqlite3_column_decltype(stmt.get(), c)) {
      known[c] = snow_type_named(decl, types[c]);
    }
    names[c] = name;
  }
  std::string partition = "[";
  std::size_t in_partition = 0;
  auto close_partition = [&] {
    partition.push_back(']');
    out.partitions.push_back(std::move(partition));
    out.partition_rows.push_back(in_partition);
    partition = "[";
    in_partition = 0;
  };
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (cancelled.load()) {
      error = {"000604", "57014", "SQL execution canceled"};
      return false;
    }
    if (in_partition == partition_rows)
      close_partition();
    partition += in_partition == 0 ? "[" : ",[";
    for (int c = 0; c < count; ++c) {
      if (c > 0)
        partition.push_back(',');
      int storage = sqlite3_column_type(stmt.get(), c);
      if (storage == SQLITE_NULL) {
        partition += "null";
        continue;
      }
      if (!known[c]) {
        types[c] = inferred(storage);
        known[c] = true;
      }
      append_snow_string(partition, render(stmt.get(), c, types[c]));
    }
    partition.push_back(']');
    ++in_partition;
    ++out.rows;
  }
  if (rc != SQLITE_DONE) {
    fail_with(db.get(), error);
    return false;
  }
  if (count == 0)
    return snow_change_result(db.get(), numbered, out);  // DML or DDL: what it changed
  close_partition();
  for (int c = 0; c < count; ++c)
    out.row_type.push_back(row_type_entry(names[c], types[c]));
  return true;
}

}  // namespace backflow::emulators
