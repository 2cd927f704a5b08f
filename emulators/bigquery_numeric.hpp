// BigQuery's text of a NUMERIC or BIGNUMERIC value, as its REST API returns it in rows[].f[].v.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace backflow::emulators {

/// Scale of NUMERIC (9) and BIGNUMERIC (38) digits after the point.
inline constexpr int bq_numeric_scale = 9;
inline constexpr int bq_bignumeric_scale = 38;

/// The canonical text BigQuery gives a decimal stored with `scale` fraction digits: rounded half
/// away from zero to `scale` digits (as BigQuery rounds on write), then without trailing
/// fraction zeros or a bare point, and zero unsigned ("1.50" is "1.5", "2.000" is "2",
/// "-0.0" is "0"). nullopt when `text` is no finite decimal.
std::optional<std::string> bq_numeric_text(std::string_view text, int scale);

}  // namespace backflow::emulators
