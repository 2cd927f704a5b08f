// ClickHouse incremental reads: the window and key-scan queries, and the bound as a literal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/core/result.hpp"

namespace backflow {

/// `name` between backticks, backslashes and backticks escaped with a backslash.
std::string quote_ch_identifier(std::string_view name);

/// `text` as a ClickHouse string literal: between single quotes, with a backslash before each
/// backslash and quote, and NUL, newline, tab and carriage return written as \0 \n \t \r.
/// Other bytes (UTF-8 included) are kept as they are.
std::string ch_string_literal(std::string_view text);

/// The incremental bound as a typed literal: an integer as its digits (checked: an optional
/// minus and at most 20 digits, nothing else), a date or date-time as
/// parseDateTimeBestEffort('<text>') (ClickHouse 18.16 has no query parameters and no
/// DateTime64: the instant, rounded down to the second, so the window can only grow).
result<std::string> ch_bound_literal(const query_param& bound);

/// The placeholder the window query ends with; ch_bind_window replaces it by the literal.
inline constexpr std::string_view ch_bound_placeholder = "{backflow_from}";

/// The rows of `model` whose `cursor` is NULL or at or past the bound (compared as an integer,
/// or as toDateTime(cursor) so that a Date and a DateTime of any zone compare as instants).
std::string ch_window_query(const std::string& model, const std::string& cursor, bool integer);

/// Only the key `columns` of `model`.
std::string ch_key_query(const std::string& model, const std::vector<std::string>& columns);

/// `query` with its one bound in place: unchanged without params; with one, the query must end
/// with ch_bound_placeholder (ch_window_query's form), replaced by ch_bound_literal.
result<std::string> ch_bind_window(const std::string& query, const std::vector<query_param>& params);

}  // namespace backflow
