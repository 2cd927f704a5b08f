// Text helpers shared by the warehouse sources: queries, timestamps, booleans, bytea, redaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/result.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// The query without trailing whitespace and semicolons, so it can be wrapped in another statement.
std::string_view strip_query_terminator(std::string_view query);

/// `"name"` with every '"' doubled: an identifier in standard SQL (SQLite, PostgreSQL).
std::string quote_identifier(std::string_view name);

/// `SELECT <select> FROM (<model>) AS backflow_model [WHERE <where>]`; the model on lines of its
/// own, so a trailing comment in it cannot swallow the rest.
std::string wrap_model(std::string_view model, const std::string& select,
                       const std::string& where);

/// The key scan of incremental reads in standard SQL: only the key `columns` of the model.
std::string standard_key_query(const std::string& model, const std::vector<std::string>& columns);

/// Rewrites a date or date-time text as ISO-8601 into `out`; false if `in` is not one.
///
/// "2024-01-05 10:00:00" becomes "2024-01-05T10:00:00"; fractional seconds, 'Z' and offsets are
/// kept, and an hour-only offset gains its minutes ("+00" becomes "+00:00"). A bare date is kept.
bool normalise_timestamp(std::string_view in, std::string& out);

/// Writes unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into `out`; false outside years 0000-9999.
bool unix_seconds_to_iso(int64_t seconds, std::string& out);

/// Reads 'true'/'false'/'t'/'f'/'1'/'0' (any case) into `value`; false for anything else.
bool parse_boolean_text(std::string_view in, bool& value);

/// Decodes PostgreSQL's bytea hex output ("\x" then two hex digits a byte) into `out`; false
/// when `in` is not that form.
bool decode_bytea_hex(std::string_view in, std::string& out);

/// A failure naming the first column that the result returns more than once.
status check_unique_columns(const schema& cols);

/// Removes anything of `dsn` that could be a secret from `message`: password values given
/// as keywords, in a URI's user info or query, and every literal occurrence of `secrets`.
std::string redact_secrets(std::string_view message, std::string_view dsn,
                           const std::vector<std::string>& secrets = {});

/// Multi-line library messages (libpq's) as one line.
std::string one_line(std::string_view text);

/// A connection string parser's message with quoted pieces of the string replaced by "...",
/// since they may be part of a secret; quoted option names are kept.
std::string hide_quoted_fragments(const std::string& message);

}  // namespace backflow
