// Proleptic Gregorian calendar arithmetic for the `datetime` conversion: unix seconds and ISO-8601 text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace backflow {

/// Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what four-digit years can say.
constexpr int64_t min_datetime_seconds = -62135596800;
constexpr int64_t max_datetime_seconds = 253402300799;

/// Formats unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; nullopt outside years 0001-9999.
std::optional<std::string> iso8601_of_unix(int64_t seconds);

/// Checks an ISO-8601 date or date-time: "YYYY-MM-DD", then optionally 'T' or ' ', "HH:MM",
/// ":SS", a fraction after '.' or ',', and 'Z' or an offset (±HH, ±HHMM, ±HH:MM, ±HH:MM:SS).
/// The date must exist (2024-02-29 does, 2023-02-29 does not), years 0001-9999, hours 00-23,
/// minutes and seconds 00-59. Returns "" when valid, else what is wrong ("February 2023 has 28
/// days", "hour 24 is out of range").
std::string iso8601_problem(std::string_view text);

}  // namespace backflow
