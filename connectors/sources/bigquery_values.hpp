// How BigQuery REST values ({"f":[{"v":...}]} typed by `schema.fields`) become canonical cells.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// One field of `schema.fields`: its type (upper case, legacy names folded: INTEGER → INT64,
/// FLOAT → FLOAT64, BOOLEAN → BOOL, STRUCT → RECORD), REPEATED or not, and sub-fields.
struct bq_field {
  std::string name;
  std::string type;
  bool repeated = false;
  std::vector<bq_field> fields;  ///< RECORD's
};

/// The fields of a `schema` object ({"fields":[...]}); a failure names a malformed field.
result<std::vector<bq_field>> bq_fields_of(const nlohmann::json& schema);

/// What a column of that field holds: INT64 integer, NUMERIC/BIGNUMERIC decimal, FLOAT64 real,
/// BOOL boolean, BYTES bytes, DATE/DATETIME/TIMESTAMP timestamp; TIME, JSON, RECORD, REPEATED
/// and STRING text.
column_kind bq_column_kind(const bq_field& field);

/// Writes the cell `{"v": ...}`'s value of `field`: INT64 exact (int64, else a decimal),
/// NUMERIC exact, FLOAT64 a double ("NaN", "Infinity" too), BYTES decoded from base64,
/// TIMESTAMP (microseconds, or the classic float seconds) as "…+00:00", RECORD/REPEATED as
/// JSON text. A value the type cannot read is written as text, never dropped.
void write_bq_value(row_writer& writer, const bq_field& field, const nlohmann::json& value);

/// The JSON text of a value of `field` inside a RECORD or REPEATED value (numbers exact).
void append_bq_json(std::string& out, const bq_field& field, const nlohmann::json& value);

/// Microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00"; false if out of range.
bool bq_micros_to_iso(int64_t micros, std::string& out);

}  // namespace backflow
