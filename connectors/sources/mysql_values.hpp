// How the MySQL/MariaDB text protocol's value of each column type becomes a canonical cell.
#pragma once

#include <string>
#include <string_view>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// How a column's values become cells, from its MYSQL_FIELD type, flags and character set.
enum class mysql_cell { integer, unsigned_integer, bits, floating, decimal, date_time, utc_time,
                        bytes, text };

/// The cell kind of a result column: `type` is enum_field_types, `flags` the field flags,
/// `charsetnr` 63 for binary strings (BINARY, VARBINARY, BLOB), which become bytes.
mysql_cell mysql_cell_of(int type, unsigned int flags, unsigned int charsetnr);

/// What the schema says a column of that kind holds.
column_kind mysql_column_kind(mysql_cell cell);

/// Writes one non-null value as the server sent it in the text protocol. Integers and
/// DECIMAL are exact (a BIGINT UNSIGNED past 2^63 and a DECIMAL with a fraction become decimal
/// cells; 12.50 keeps its scale); DATE and DATETIME become ISO-8601 without a zone; TIMESTAMP,
/// read in a session whose time_zone is '+00:00', gains "+00:00"; BIT becomes an integer; a
/// zero date ('0000-00-00') or text the kind cannot read stays text. `scratch` is reused.
void write_mysql_value(row_writer& writer, mysql_cell cell, std::string_view value,
                       std::string& scratch);

}  // namespace backflow
