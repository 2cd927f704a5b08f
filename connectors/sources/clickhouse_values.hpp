// How ClickHouse's TabSeparated text of each column type becomes a cell of the canonical encoding.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"
#include "pipelines/schedule/time_zone.hpp"

namespace backflow {

/// How a column's values are read; Nullable(T) and LowCardinality(T) are T, marked nullable.
enum class ch_kind {
  signed_int,    ///< Int8..Int64
  unsigned_int,  ///< UInt8..UInt64 (past 2^63 a decimal cell, exact)
  floating,      ///< Float32, Float64
  decimal,       ///< Decimal(P, S), Decimal32/64/128
  string,        ///< String, FixedString(N): bytes, text when valid UTF-8
  date,          ///< Date
  date_time,     ///< DateTime, DateTime('zone')
  array,         ///< Array(T): a JSON array as text
  nothing,       ///< Nullable(Nothing): always NULL
  text,          ///< UUID, Enum8/16 and anything else: the unescaped text
};

/// A parsed ClickHouse type name such as "Nullable(DateTime('Europe/Paris'))".
struct ch_type {
  ch_kind kind = ch_kind::text;
  bool nullable = false;
  std::string zone;                ///< DateTime's own zone; empty means the server's
  std::shared_ptr<ch_type> element;  ///< Array's element type
};

/// Parses a type name from TabSeparatedWithNamesAndTypes' second line (already unescaped).
ch_type parse_ch_type(std::string_view name);

/// What the schema says a column of that type holds.
column_kind ch_column_kind(const ch_type& type);

/// Undoes TabSeparated escaping (\b \f \r \n \t \0 \' \\ \a \v \xHH; any other \c is c) into `out`.
void unescape_tsv(std::string_view field, std::string& out);

/// Time zones by name, loaded once each; the server's zone stands for DateTime without one.
class ch_zones {
 public:
  explicit ch_zones(time_zone server = {}) : server_(std::move(server)) {}
  /// The zone a DateTime column of `name` ("" for the server's) is printed in.
  const time_zone& get(const std::string& name);

 private:
  time_zone server_;
  std::vector<std::pair<std::string, time_zone>> named_;
};

/// Writes one TabSeparated field (still escaped) of a column of `type` as a cell: "\N" is NULL
/// in a nullable column; integers exact (a UInt64 past 2^63 as a decimal), floats as doubles,
/// decimals exact (integers when they have no fraction and fit), strings as text or bytes,
/// Date as "YYYY-MM-DD", DateTime as UTC "YYYY-MM-DDTHH:MM:SS+00:00", arrays as JSON text.
/// Returns false (and writes nothing) when the field is not what the type prints.
bool write_ch_field(row_writer& writer, const ch_type& type, std::string_view field,
                    ch_zones& zones, std::string& scratch);

}  // namespace backflow
