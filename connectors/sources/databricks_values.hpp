// How Databricks JSON_ARRAY values (strings typed by manifest.schema.columns) become cells.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// How a column's string values become cells, from its `type_name`.
enum class db_cell {
  integer,    ///< BYTE, SHORT, INT, LONG: exact int64 (a string on the wire)
  decimal,    ///< DECIMAL(p,s): exact decimal as written ("2.00")
  real,       ///< FLOAT, DOUBLE: double ("NaN", "Infinity", "-Infinity" too)
  boolean,    ///< "true" / "false"
  date,       ///< "YYYY-MM-DD"
  timestamp,  ///< ISO-8601 instant ("…Z" or "…+HH:MM") → the UTC instant "…+00:00"
  timestamp_ntz,  ///< ISO-8601 wall clock without zone
  json,       ///< ARRAY, MAP, STRUCT: JSON text without insignificant whitespace
  binary,     ///< base64 → bytes
  text,       ///< STRING, CHAR, INTERVAL and anything else
};

/// The cell kind for one column entry ({"name","type_name":"DECIMAL","type_scale":2,...}).
db_cell db_cell_of(const nlohmann::json& column);

/// What the schema says a column of that kind holds.
column_kind db_column_kind(db_cell cell);

/// Writes one non-null value. Text the kind cannot read is written as text, never dropped.
void write_db_value(row_writer& writer, db_cell cell, std::string_view text, std::string& scratch);

/// "YYYY-MM-DD[T| ]HH:MM:SS[.f][Z|±HH:MM]" as the UTC instant "YYYY-MM-DDTHH:MM:SS[.f]+00:00"
/// (or the wall clock without zone when `keep_wall_clock`); false when malformed.
bool db_iso_timestamp(std::string_view text, bool keep_wall_clock, std::string& out);

}  // namespace backflow
