// Validation for the Salesforce emulator: collections bodies, field values, ids, error shapes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulators/salesforce_types.hpp"

namespace backflow::emulators {

/// The most records (or ids) one sObject Collections request may carry.
inline constexpr std::size_t sf_max_collection = 200;

/// The longest string a field accepts (a Text(255) field).
inline constexpr std::size_t sf_max_string = 255;

/// A parsed collections upsert body: its rows, or the error that rejects the whole request.
struct sf_parsed_upsert {
  std::vector<sf_write_row> rows;
  bool all_or_none = false;
  std::size_t received = 0;  ///< entries of "records", valid or not
  std::optional<sf_request_error> error;
};

/// Parses `{"allOrNone":bool,"records":[...]}` for an upsert of `object` by `ext_field`.
/// Whole-request failures: malformed JSON or structure and object/array values
/// (JSON_PARSER_ERROR), more than 200 records, and names outside `rules.allowed`
/// (INVALID_FIELD). Per-row failures (kept in the row): a wrong attributes.type, an Id field.
sf_parsed_upsert parse_collection_upsert(const std::string& body, const std::string& object,
                                         const std::string& ext_field,
                                         const sf_object_rules& rules);

/// Entries in the body's "records" array; 0 when there is none.
std::size_t count_records(const std::string& body);

/// Checks the values of one row that is about to be written: email syntax, string lengths,
/// and (when `creating`) the required fields. The first problem, if any.
std::optional<sf_error> check_values(const sf_write_row& row, bool creating,
                                     const sf_object_rules& rules);

/// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// True for a well-formed record id: 15 or 18 letters and digits.
bool is_sf_id(std::string_view id);

/// The error array `[{"message","errorCode"}]` of a whole-request failure.
std::string sf_error_body(const std::string& code, const std::string& message);

/// The JSON form of one per-record error: `{"statusCode","message","fields"}`.
nlohmann::json sf_error_json(const sf_error& e);

/// `CODE:message:field1,field2`, the sf__Error column of Bulk failed results.
std::string sf_error_text(const sf_error& e);

}  // namespace backflow::emulators
