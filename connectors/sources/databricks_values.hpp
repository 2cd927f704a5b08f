// How Databricks JSON_ARRAY values (strings typed by manifest.schema.columns) become cells.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "connectors/sources/text_cells.hpp"

namespace backflow {

/// The cell kind for one column entry ({"name","type_name":"DECIMAL","type_scale":2,...}):
/// BYTE, SHORT, INT, LONG integer (a string on the wire); DECIMAL decimal; FLOAT, DOUBLE real;
/// DATE date ("YYYY-MM-DD"); TIMESTAMP timestamp (ISO-8601 "…Z" or "…+HH:MM"); TIMESTAMP_NTZ
/// timestamp_ntz (ISO-8601 wall clock); ARRAY, MAP, STRUCT json; BINARY binary (base64);
/// STRING, CHAR, INTERVAL and anything else text.
text_cell db_cell_of(const nlohmann::json& column);

/// Writes one non-null value. Text the kind cannot read is written as text, never dropped.
void write_db_value(row_writer& writer, text_cell cell, std::string_view text, std::string& scratch);

/// "YYYY-MM-DD[T| ]HH:MM:SS[.f][Z|±HH:MM]" as the UTC instant "YYYY-MM-DDTHH:MM:SS[.f]+00:00"
/// (or the wall clock without zone when `keep_wall_clock`); false when malformed.
bool db_iso_timestamp(std::string_view text, bool keep_wall_clock, std::string& out);

}  // namespace backflow
