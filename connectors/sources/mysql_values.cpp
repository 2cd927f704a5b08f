// How the MySQL/MariaDB text protocol's values become cells (see mysql_values.hpp).
#include "connectors/sources/mysql_values.hpp"

#include <mysql.h>

#include <charconv>
#include <cstdint>

#include "connectors/sources/source_text.hpp"
#include "pipelines/core/decimal.hpp"

namespace backflow {
namespace {

constexpr unsigned int binary_charset = 63;  // the "binary" pseudo character set

/// Exact numbers: an integer when it has no fraction and fits 64 bits, else decimal text.
void write_exact(row_writer& writer, std::string_view text) {
  auto decimal = normalize_decimal(text);
  if (!decimal) {
    writer.text(text);
    return;
  }
  if (auto whole = decimal_to_int64(*decimal))
    writer.integer(*whole);
  else
    writer.decimal(*decimal);
}

void write_integer(row_writer& writer, std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size())
    writer.integer(v);
  else
    write_exact(writer, text);  // BIGINT UNSIGNED past 2^63 - 1
}

/// BIT(n) arrives as n/8 big-endian bytes; up to 63 bits it is an integer.
void write_bits(row_writer& writer, std::string_view raw) {
  uint64_t v = 0;
  if (raw.size() > 8) {
    writer.bytes(raw);
    return;
  }
  for (unsigned char c : raw)
    v = (v << 8) | c;
  if (v > static_cast<uint64_t>(INT64_MAX))
    write_exact(writer, std::to_string(v));
  else
    writer.integer(static_cast<int64_t>(v));
}

/// Zero dates ('0000-00-00', '2024-00-00') are MySQL's own and no instant: they stay text.
bool is_zero_date(std::string_view text) {
  return text.size() >= 10 && (text.substr(0, 4) == "0000" || text.substr(5, 2) == "00" ||
                               text.substr(8, 2) == "00");
}

}  // namespace

mysql_cell mysql_cell_of(int type, unsigned int flags, unsigned int charsetnr) {
  switch (static_cast<enum_field_types>(type)) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return (flags & UNSIGNED_FLAG) != 0 ? mysql_cell::unsigned_integer : mysql_cell::integer;
    case MYSQL_TYPE_BIT:
      return mysql_cell::bits;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
      return mysql_cell::floating;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return mysql_cell::decimal;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2:
      return mysql_cell::date_time;
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      return mysql_cell::utc_time;
    case MYSQL_TYPE_GEOMETRY:
      return mysql_cell::bytes;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VARCHAR:
      return charsetnr == binary_charset ? mysql_cell::bytes : mysql_cell::text;
    default:  // TIME, JSON (MySQL's own type; MariaDB's JSON is LONGTEXT), ENUM, SET, NULL
      return mysql_cell::text;
  }
}

column_kind mysql_column_kind(mysql_cell cell) {
  switch (cell) {
    case mysql_cell::integer:
    case mysql_cell::unsigned_integer:
    case mysql_cell::bits:
      return column_kind::integer;
    case mysql_cell::floating:
      return column_kind::real;
    case mysql_cell::decimal:
      return column_kind::decimal;
    case mysql_cell::date_time:
    case mysql_cell::utc_time:
      return column_kind::timestamp;
    case mysql_cell::bytes:
      return column_kind::bytes;
    case mysql_cell::text:
      return column_kind::text;
  }
  return column_kind::unknown;
}

void write_mysql_value(row_writer& writer, mysql_cell cell, std::string_view value,
                       std::string& scratch) {
  switch (cell) {
    case mysql_cell::integer:
    case mysql_cell::unsigned_integer:
      write_integer(writer, value);
      return;
    case mysql_cell::bits:
      write_bits(writer, value);
      return;
    case mysql_cell::floating: {
      double v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec == std::errc() && end == value.data() + value.size())
        writer.real(v);
      else
        writer.text(value);
      return;
    }
    case mysql_cell::decimal:
      write_exact(writer, value);
      return;
    case mysql_cell::date_time:
    case mysql_cell::utc_time:
      if (is_zero_date(value) || !normalise_timestamp(value, scratch)) {
        writer.text(value);
        return;
      }
      if (cell == mysql_cell::utc_time)
        scratch += "+00:00";
      writer.timestamp(scratch);
      return;
    case mysql_cell::bytes:
      writer.bytes(value);
      return;
    case mysql_cell::text:
      writer.text(value);
      return;
  }
}

}  // namespace backflow
