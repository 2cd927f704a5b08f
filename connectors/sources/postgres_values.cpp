// How PostgreSQL's text output of each column type becomes a cell (see postgres_values.hpp).
#include "connectors/sources/postgres_values.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "connectors/sources/source_text.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/decimal.hpp"

namespace backflow {
namespace {

/// Reads a float8 or numeric text's special values ("NaN", "Infinity", "-Infinity").
bool parse_special(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    value = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

/// Reads a float8 text ("NaN", "Infinity", "-Infinity" or a number).
bool parse_double(std::string_view text, double& value) {
  if (parse_special(text, value))
    return true;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

/// numeric is exact: integers that fit 64 bits as integers, the rest as decimal text (the
/// column's scale kept: 1.50 stays 1.50). 'NaN' and the infinities become reals, which the
/// plan's value checks stop before anything is sent.
void write_numeric(row_writer& writer, std::string_view text) {
  double special = 0;
  if (parse_special(text, special)) {
    writer.real(special);
    return;
  }
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

/// Decodes bare hex digits ("6162"), as Redshift prints a VARBYTE.
bool decode_hex(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 2 != 0)
    return false;
  out.reserve(in.size() / 2);
  for (size_t i = 0; i < in.size(); i += 2) {
    int high = hex_digit_value(in[i]);
    int low = hex_digit_value(in[i + 1]);
    if (high < 0 || low < 0)
      return false;
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

}  // namespace

pg_cell pg_cell_of(unsigned int type_oid) {
  switch (type_oid) {
    case 16:  // bool
      return pg_cell::boolean;
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      return pg_cell::integer;
    case 700:  // float4
    case 701:  // float8
      return pg_cell::floating;
    case 1700:  // numeric
      return pg_cell::numeric;
    case 17:  // bytea
      return pg_cell::bytes;
    case 1082:  // date
    case 1114:  // timestamp
    case 1184:  // timestamptz
      return pg_cell::timestamp;
    default:  // text, varchar, bpchar, name, uuid, json, jsonb, time, interval, ...
      return pg_cell::text;
  }
}

column_kind pg_column_kind(pg_cell cell) {
  switch (cell) {
    case pg_cell::boolean:
      return column_kind::boolean;
    case pg_cell::integer:
      return column_kind::integer;
    case pg_cell::floating:
      return column_kind::real;
    case pg_cell::numeric:
      return column_kind::decimal;
    case pg_cell::timestamp:
      return column_kind::timestamp;
    case pg_cell::bytes:
    case pg_cell::hex_bytes:
      return column_kind::bytes;
    case pg_cell::text:
      return column_kind::text;
  }
  return column_kind::unknown;
}

void write_pg_value(row_writer& writer, pg_cell cell, std::string_view text, std::string& scratch) {
  switch (cell) {
    case pg_cell::boolean:
      writer.boolean(text == "t");
      return;
    case pg_cell::integer: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size())
        writer.integer(v);
      else
        writer.text(text);
      return;
    }
    case pg_cell::floating: {
      double v = 0;
      if (parse_double(text, v))
        writer.real(v);
      else
        writer.text(text);
      return;
    }
    case pg_cell::numeric:
      write_numeric(writer, text);
      return;
    case pg_cell::bytes:
      if (decode_bytea_hex(text, scratch))
        writer.bytes(scratch);
      else
        writer.text(text);  // bytea_output is set to hex, so this is not expected
      return;
    case pg_cell::hex_bytes:
      if (decode_hex(text, scratch))
        writer.bytes(scratch);
      else
        writer.text(text);
      return;
    case pg_cell::timestamp:
      if (normalise_timestamp(text, scratch))
        writer.timestamp(scratch);
      else
        writer.text(text);  // 'infinity', BC dates
      return;
    case pg_cell::text:
      writer.text(text);
      return;
  }
}

}  // namespace backflow
