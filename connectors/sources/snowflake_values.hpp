// How Snowflake SQL API values (strings typed by `rowType`) become cells of the canonical rows.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// How a column's string values become cells, from its `rowType` entry.
enum class sf_cell {
  integer,        ///< FIXED, scale 0: int64 when it fits, else an exact decimal
  decimal,        ///< FIXED, scale > 0: exact decimal with the column's scale ("2.50")
  real,           ///< REAL / FLOAT: double ("NaN", "inf", "-inf" too)
  boolean,        ///< "true" / "false"
  date,           ///< days since 1970-01-01 → "YYYY-MM-DD"
  time,           ///< seconds since midnight with 9 decimals → text "HH:MM:SS[.f]"
  timestamp_ntz,  ///< epoch seconds.nanoseconds → "YYYY-MM-DDTHH:MM:SS[.f]" (wall clock)
  timestamp_ltz,  ///< epoch seconds.nanoseconds → the UTC instant "…+00:00"
  timestamp_tz,   ///< "seconds.nanos offset+1440" → the UTC instant "…+00:00" (offset dropped)
  json,           ///< VARIANT, OBJECT, ARRAY: JSON text without insignificant whitespace
  binary,         ///< hex → bytes
  text,           ///< TEXT and anything else
};

/// The cell kind for one `rowType` entry ({"type":"FIXED","scale":2,...}).
sf_cell sf_cell_of(const nlohmann::json& row_type);

/// What the schema says a column of that kind holds.
column_kind sf_column_kind(sf_cell cell);

/// Writes one non-null value. Text the kind cannot read is written as text, never dropped.
/// `scratch` is reused between calls.
void write_sf_value(row_writer& writer, sf_cell cell, std::string_view text, std::string& scratch);

/// "seconds[.fraction]" since the epoch (may be negative) as ISO-8601 "YYYY-MM-DDTHH:MM:SS[.f]"
/// shifted by `offset_minutes`, fraction digits without trailing zeros; false when malformed.
bool sf_epoch_to_iso(std::string_view seconds, int offset_minutes, std::string& out);

/// JSON text with the whitespace outside strings removed (numbers and escapes kept as written).
std::string minify_json_text(std::string_view json);

}  // namespace backflow
