// How Snowflake SQL API values (strings typed by `rowType`) become cells of the canonical rows.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "connectors/sources/text_cells.hpp"

namespace backflow {

/// The cell kind for one `rowType` entry ({"type":"FIXED","scale":2,...}): FIXED scale 0 integer
/// (int64 when it fits, else an exact decimal), scale > 0 decimal; REAL real; DATE date (days
/// since 1970-01-01); TIME time (seconds since midnight with 9 decimals); TIMESTAMP_NTZ
/// timestamp_ntz and TIMESTAMP_LTZ timestamp (epoch seconds.nanoseconds); TIMESTAMP_TZ
/// timestamp_tz ("seconds.nanos offset+1440"); VARIANT, OBJECT, ARRAY json; BINARY binary (hex).
text_cell sf_cell_of(const nlohmann::json& row_type);

/// Writes one non-null value. Text the kind cannot read is written as text, never dropped.
/// `scratch` is reused between calls.
void write_sf_value(row_writer& writer, text_cell cell, std::string_view text, std::string& scratch);

/// "seconds[.fraction]" since the epoch (may be negative) as ISO-8601 "YYYY-MM-DDTHH:MM:SS[.f]"
/// shifted by `offset_minutes`, fraction digits without trailing zeros; false when malformed.
bool sf_epoch_to_iso(std::string_view seconds, int offset_minutes, std::string& out);

}  // namespace backflow
