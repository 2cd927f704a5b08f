// How PostgreSQL's text output of each column type becomes a cell of the canonical row encoding.
#pragma once

#include <string>
#include <string_view>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// How a column's text values become cells, from the column's type OID (catalog/pg_type.dat).
/// `hex_bytes` is binary printed as bare hex digits (Redshift's VARBYTE), `bytes` bytea's "\x...".
enum class pg_cell { boolean, integer, floating, numeric, timestamp, bytes, hex_bytes, text };

/// The cell kind for a type OID (libpq's Oid); types without their own become text.
pg_cell pg_cell_of(unsigned int type_oid);

/// What the schema says a column of that kind holds.
column_kind pg_column_kind(pg_cell cell);

/// Writes one non-null value as the session prints it (UTC, ISO dates, hex bytea, every float
/// digit). numeric is exact: an integer when it has no fraction digits and fits 64 bits, else a
/// decimal with the column's scale (1.50 stays 1.50); numeric and float 'NaN' and infinities
/// become reals, which the plan's value checks stop. Text the kind cannot read stays text.
/// `scratch` is reused between calls.
void write_pg_value(row_writer& writer, pg_cell cell, std::string_view text, std::string& scratch);

}  // namespace backflow
