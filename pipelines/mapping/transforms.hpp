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
enum class transform_kind {
  trim,
  lowercase,
  uppercase,
  sha256,           ///< lowercase hex SHA-256 of the UTF-8 text; 64-hex input passes through
  normalize_email,  ///< trim + lowercase
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

/// Converts `in` to `type`; a failure explains why (e.g. "\"abc\" is not a number").
/// Text results view `scratch`.
result<cell> convert_cell(field_type type, const cell& in, std::string& scratch);

/// Formats unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string iso8601_from_unix(int64_t seconds);

}  // namespace backflow
