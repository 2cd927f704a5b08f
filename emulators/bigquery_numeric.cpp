// BigQuery's NUMERIC and BIGNUMERIC text (see bigquery_numeric.hpp).
#include "emulators/bigquery_numeric.hpp"

#include "pipelines/core/decimal.hpp"

namespace backflow::emulators {

std::optional<std::string> bq_numeric_text(std::string_view text, int scale) {
  auto canonical = normalize_decimal(text);  // "-12.3400": sign, digits, point, fraction as written
  if (!canonical)
    return std::nullopt;
  std::string v = *canonical;
  bool negative = !v.empty() && v.front() == '-';
  if (negative)
    v.erase(0, 1);
  size_t point = v.find('.');
  std::string digits = point == std::string::npos ? v : v.substr(0, point) + v.substr(point + 1);
  size_t fraction = point == std::string::npos ? 0 : v.size() - point - 1;
  if (fraction > static_cast<size_t>(scale)) {
    // Half away from zero: the first dropped digit decides, whatever follows it.
    bool up = digits[digits.size() - fraction + scale] >= '5';
    digits.resize(digits.size() - fraction + scale);
    fraction = static_cast<size_t>(scale);
    for (size_t i = digits.size(); up && i-- > 0;) {
      up = digits[i] == '9';
      digits[i] = up ? '0' : static_cast<char>(digits[i] + 1);
    }
    if (up)
      digits.insert(digits.begin(), '1');
  }
  while (fraction > 0 && digits.back() == '0') {
    digits.pop_back();
    --fraction;
  }
  std::string integer = digits.substr(0, digits.size() - fraction);
  size_t nonzero = integer.find_first_not_of('0');
  integer = nonzero == std::string::npos ? "0" : integer.substr(nonzero);
  std::string out = integer + (fraction > 0 ? "." + digits.substr(digits.size() - fraction) : "");
  return negative && out != "0" ? "-" + out : out;
}

}  // namespace backflow::emulators
