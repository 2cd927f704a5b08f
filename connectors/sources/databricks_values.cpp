// How Databricks JSON_ARRAY values become cells (see databricks_values.hpp).
#include "connectors/sources/databricks_values.hpp"

#include <cctype>
#include <cstdint>

#include "connectors/sources/snowflake_values.hpp"
#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

bool dbx_digits(std::string_view s, size_t at, size_t n, int& value) {
  if (at + n > s.size())
    return false;
  value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

bool dbx_valid_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  return text.size() == 10 && dbx_digits(text, 0, 4, y) && text[4] == '-' && dbx_digits(text, 5, 2, m) &&
         text[7] == '-' && dbx_digits(text, 8, 2, d) && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

bool db_iso_timestamp(std::string_view s, bool keep_wall_clock, std::string& out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!dbx_valid_date(s.substr(0, 10)) || s.size() < 19 || (s[10] != 'T' && s[10] != ' ') ||
      !dbx_digits(s, 11, 2, h) || s[13] != ':' || !dbx_digits(s, 14, 2, mi) || s[16] != ':' ||
      !dbx_digits(s, 17, 2, sec))
    return false;
  dbx_digits(s, 0, 4, y);
  dbx_digits(s, 5, 2, mo);
  dbx_digits(s, 8, 2, d);
  size_t p = 19;
  std::string fraction;
  if (p < s.size() && s[p] == '.') {
    ++p;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])))
      fraction.push_back(s[p++]);
    if (fraction.empty() || fraction.size() > 9)
      return false;
  }
  int offset = 0;
  if (p < s.size() && s[p] == 'Z') {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh = 0, om = 0;
    if (!dbx_digits(s, p + 1, 2, oh) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !dbx_digits(s, p + 4, 2, om))
      return false;
    offset = (s[p] == '-' ? -1 : 1) * (oh * 60 + om);
    p += 6;
  }
  if (p != s.size())
    return false;
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (!keep_wall_clock)
    seconds -= int64_t{offset} * 60;
  std::string epoch = std::to_string(seconds);
  if (!fraction.empty()) {
    // sf_epoch_to_iso reads "S.f" with the fraction counted away from zero; before 1970 the
    // whole seconds are floored here, so the fraction is added as a positive part.
    if (seconds < 0) {
      int64_t nanos = std::stoll(fraction + std::string(9 - fraction.size(), '0'));
      int64_t whole = seconds + 1;
      int64_t rest = 1'000'000'000 - nanos;
      std::string r = std::to_string(rest);
      epoch = (whole == 0 ? "-0" : std::to_string(whole)) + "." + std::string(9 - r.size(), '0') + r;
    } else {
      epoch += "." + fraction;
    }
  }
  if (!sf_epoch_to_iso(epoch, 0, out))
    return false;
  if (!keep_wall_clock)
    out += "+00:00";
  return true;
}

text_cell db_cell_of(const nlohmann::json& column) {
  const std::string type = upper_type_name(column.value("type_name", ""));
  if (type == "BYTE" || type == "SHORT" || type == "INT" || type == "LONG")
    return text_cell::integer;
  if (type == "DECIMAL")
    return text_cell::decimal;
  if (type == "FLOAT" || type == "DOUBLE")
    return text_cell::real;
  if (type == "BOOLEAN")
    return text_cell::boolean;
  if (type == "DATE")
    return text_cell::date;
  if (type == "TIMESTAMP")
    return text_cell::timestamp;
  if (type == "TIMESTAMP_NTZ")
    return text_cell::timestamp_ntz;
  if (type == "ARRAY" || type == "MAP" || type == "STRUCT")
    return text_cell::json;
  if (type == "BINARY")
    return text_cell::binary;
  return text_cell::text;
}

void write_db_value(row_writer& writer, text_cell cell, std::string_view text,
                    std::string& scratch) {
  switch (cell) {
    case text_cell::date:
      return dbx_valid_date(text) ? writer.timestamp(text) : writer.text(text);
    case text_cell::timestamp:
    case text_cell::timestamp_ntz:
      if (db_iso_timestamp(text, cell == text_cell::timestamp_ntz, scratch))
        return writer.timestamp(scratch);
      return writer.text(text);
    case text_cell::binary:
      if (auto bytes = base64_decode(text))
        return writer.bytes(*bytes);
      return writer.text(text);
    default:
      return write_common_cell(writer, cell, text);
  }
}

}  // namespace backflow
