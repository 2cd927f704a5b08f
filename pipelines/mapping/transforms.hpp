// Value transforms and type conversions applied while mapping warehouse columns to destination fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// A named, stateless text transform. Null cells pass through every transform unchanged.
/// Case mappings are Unicode's, in ICU's root locale, on text in NFC (see unicode_text.hpp).
enum class transform_kind {
  trim,
  lowercase,        ///< NFC + Unicode lowercase: "ÉMILE" → "émile"
  uppercase,        ///< NFC + Unicode uppercase: "straße" → "STRASSE"
  sha256,           ///< lowercase hex SHA-256 of the UTF-8 text; 64-hex input passes through
  normalize_email,  ///< trim + NFC + Unicode lowercase
  digits,           ///< keep only 0-9
  hash_email,       ///< normalize_email, then sha256
};

/// The destination type a field is converted to; `keep` leaves the warehouse type.
enum class field_type { keep, string, number, integer, boolean, datetime };

std::optional<transform_kind> parse_transform(std::string_view name);
std::optional<field_type> parse_field_type(std::string_view name);
const std::vector<std::string>& transform_names();
const std::vector<std::string>& field_type_names();

/// Applies `t` to `in`. Text results are written to `scratch`, which the returned cell views.
/// Non-text cells are first rendered as text.
cell apply_transform(transform_kind t, const cell& in, std::string& scratch);

/// Converts `in` to `type` exactly, or fails with a reason naming the value (e.g. "\"0x1A\" is
/// not a number"). Text, decimal and bytes results view `scratch`.
///  - string: text as is; reals in their shortest round-trip form ("19.99"), decimals as their
///    exact text, bytes as base64, other values as cell_to_string() renders them.
///  - number: integers and decimals as they are; reals integral below 2^53 become integers,
///    others stay reals (NaN and infinities fail); text by normalize_decimal() becomes an integer
///    when it has no fraction digits and fits 64 bits, else an exact decimal ("7.0" stays 7.0);
///    hex, "inf", "nan", "1,5" and empty text fail.
///  - integer: reals and decimals (or text) whose fraction is zero; past 64 bits a decimal with
///    the exact integer digits; anything with a fraction fails.
///  - boolean: true/t/yes/y/1 and false/f/no/n/0 (text, any case), integers and decimals 1 and 0.
///  - datetime: numbers are unix seconds within years 0001-9999; text must be an ISO-8601 date
///    or date-time of a real calendar day and time (see calendar.hpp), its ' ' becoming 'T'.
result<cell> convert_cell(field_type type, const cell& in, std::string& scratch);

}  // namespace backflow
