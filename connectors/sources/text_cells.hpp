// The cell kinds of warehouses that send every value as text, and the renderings they share.
#pragma once

#include <string>
#include <string_view>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// How a column's text values become cells. Snowflake and Databricks map their type names to
/// it (sf_cell_of, db_cell_of); dates, times, timestamps and binary are each one's own wire
/// format, the other kinds are read alike (write_common_cell).
enum class text_cell {
  integer,        ///< exact int64 when it fits, else an exact decimal
  decimal,        ///< exact decimal ("2.50")
  real,           ///< double ("NaN", "Infinity", "inf", "-inf" too)
  boolean,        ///< "true" / "false"
  date,           ///< a date → "YYYY-MM-DD"
  time,           ///< a time of day → text "HH:MM:SS[.f]"
  timestamp,      ///< an instant → the UTC instant "…+00:00"
  timestamp_ntz,  ///< a wall clock without zone → "YYYY-MM-DDTHH:MM:SS[.f]"
  timestamp_tz,   ///< an instant stored with its offset → the UTC instant (offset dropped)
  json,           ///< semi-structured: JSON text without insignificant whitespace
  binary,         ///< bytes (hex or base64 on the wire)
  text,           ///< text and anything else
};

/// What the schema says a column of that kind holds.
column_kind text_cell_kind(text_cell cell);

/// Writes a value of the kinds every warehouse sends alike (integer, decimal, real, boolean,
/// json); any other kind as the text it is. Text a kind cannot read is written as text.
void write_common_cell(row_writer& writer, text_cell cell, std::string_view text);

/// An exact number: int64 when it is whole and fits, else a decimal; text when malformed.
void write_exact_text(row_writer& writer, std::string_view text);

/// A double as warehouses write one ("1.5", "1e+300", "NaN", "Infinity", "-inf"); false if not.
bool parse_real_text(std::string_view text, double& v);

/// A double (parse_real_text), or the text as it is when it is not one.
void write_real_text(row_writer& writer, std::string_view text);

/// JSON text with the whitespace outside strings removed (numbers and escapes kept as written).
std::string minify_json_text(std::string_view json);

/// `type` in upper case (type names are compared that way).
std::string upper_type_name(std::string type);

}  // namespace backflow
