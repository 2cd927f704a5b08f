// RFC 4180 CSV: writing rows and parsing documents (Salesforce Bulk API 2.0 uploads and results).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/result.hpp"

namespace backflow {

/// Appends one CSV field to `out`, quoted when it holds a comma, quote, CR or LF (or when
/// `always_quote`); quotes inside are doubled.
void append_csv_field(std::string& out, std::string_view field, bool always_quote = false);

/// Appends a whole record (fields joined by commas) and a line ending ("\n" or "\r\n").
void append_csv_record(std::string& out, const std::vector<std::string>& fields,
                       std::string_view line_ending = "\n");

using csv_row = std::vector<std::string>;

/// Parses a CSV document (LF or CRLF line endings, quoted fields may span lines). A trailing
/// line ending does not make an empty row. Fails on an unterminated quote or stray characters
/// after a closing quote, naming the line.
result<std::vector<csv_row>> parse_csv(std::string_view text);

}  // namespace backflow
