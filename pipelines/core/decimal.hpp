// Exact decimal numbers as text: the one parser and normaliser every layer uses for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace backflow {

/// The canonical decimal text of `text`, or nullopt when it is not a finite decimal number.
///
/// Canonical: an optional '-', the integer digits without leading zeros (a single "0" when there
/// are none), then optionally '.' and the fraction digits exactly as written (trailing zeros kept:
/// "1.50" stays "1.50"). No '+', no exponent, and zero is never negative ("-0.00" is "0.00").
///
/// Accepted input: surrounding ASCII whitespace, a leading '+' or '-', leading zeros, ".5", "5.",
/// and exponents ("1.5E+3" is "1500", "15e-4" is "0.0015"; at most 4096 digits may result).
/// Refused: empty text, hex ("0x1A"), "inf", "nan", digit group separators ("1,5", "1_000"),
/// inner spaces and any other character.
std::optional<std::string> normalize_decimal(std::string_view text);

/// True when `text` is already in the canonical form normalize_decimal() produces.
bool is_canonical_decimal(std::string_view text);

/// True when canonical `decimal` has no fraction digits or only zeros after its point.
bool decimal_is_integral(std::string_view decimal);

/// The integer part of canonical `decimal` (its digits before the point, with the sign unless
/// it is zero): "-12.00" gives "-12", "-0.5" gives "0".
std::string decimal_integer_part(std::string_view decimal);

/// Canonical `decimal` as int64 when it has no fraction digits and fits; nullopt otherwise.
std::optional<int64_t> decimal_to_int64(std::string_view decimal);

}  // namespace backflow
