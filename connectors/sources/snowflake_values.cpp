// How Snowflake SQL API values become cells (see snowflake_values.hpp).
#include "connectors/sources/snowflake_values.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>

#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

bool parse_int(std::string_view text, int64_t& v) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

/// Splits "[-]S[.F]" into whole seconds (floored) and nanoseconds in [0, 1e9).
bool split_seconds(std::string_view text, int64_t& seconds, int64_t& nanos) {
  bool negative = !text.empty() && text[0] == '-';
  std::string_view body = negative ? text.substr(1) : text;
  size_t dot = body.find('.');
  std::string_view whole = body.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : body.substr(dot + 1);
  if (whole.empty() || fraction.size() > 9 || !parse_int(whole, seconds) || seconds < 0)
    return false;
  nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9')
      return false;
    nanos = nanos * 10 + (c - '0');
  }
  if (negative) {
    seconds = -seconds;
    if (nanos != 0) {
      seconds -= 1;
      nanos = 1'000'000'000 - nanos;
    }
  }
  return true;
}

void append_fraction(std::string& out, int64_t nanos) {
  if (nanos == 0)
    return;
  char digits[10];
  std::snprintf(digits, sizeof digits, "%09lld", static_cast<long long>(nanos));
  std::string_view f(digits, 9);
  while (!f.empty() && f.back() == '0')
    f.remove_suffix(1);
  out.push_back('.');
  out.append(f);
}

void append_clock(std::string& out, int64_t seconds_of_day, int64_t nanos) {
  char clock[16];
  std::snprintf(clock, sizeof clock, "%02d:%02d:%02d", static_cast<int>(seconds_of_day / 3600),
                static_cast<int>(seconds_of_day / 60 % 60), static_cast<int>(seconds_of_day % 60));
  out.append(clock);
  append_fraction(out, nanos);
}

bool write_date(std::string_view text, std::string& out) {
  int64_t days = 0;
  if (!parse_int(text, days))
    return false;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0 || year > 9999)
    return false;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(year), month, day);
  out = buf;
  return true;
}

bool write_time(std::string_view text, std::string& out) {
  int64_t seconds = 0;
  int64_t nanos = 0;
  if (!split_seconds(text, seconds, nanos) || seconds < 0 || seconds >= 86400)
    return false;
  out.clear();
  append_clock(out, seconds, nanos);
  return true;
}

/// The instant of a TIMESTAMP_TZ, in UTC like every zoned timestamp of every source: the same
/// instant reaches the destination as the same value whatever offset it was stored at.
bool write_timestamp_tz(std::string_view text, std::string& out) {
  size_t space = text.find(' ');
  int64_t encoded = 0;
  if (space == std::string_view::npos || !parse_int(text.substr(space + 1), encoded))
    return false;
  int64_t offset = encoded - 1440;  // Snowflake adds 1440 to keep it positive
  // The seconds are the instant already; the offset only says where it was written.
  if (offset <= -1440 || offset >= 1440 || !sf_epoch_to_iso(text.substr(0, space), 0, out))
    return false;
  out += "+00:00";
  return true;
}

bool decode_hex(std::string_view text, std::string& out) {
  if (text.size() % 2 != 0)
    return false;
  out.resize(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_digit_value(text[2 * i]);
    int lo = hex_digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

bool sf_epoch_to_iso(std::string_view seconds_text, int offset_minutes, std::string& out) {
  int64_t seconds = 0;
  int64_t nanos = 0;
  if (!split_seconds(seconds_text, seconds, nanos))
    return false;
  seconds += int64_t{offset_minutes} * 60;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t of_day = seconds - days * 86400;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0 || year > 9999)
    return false;
  char date[16];
  std::snprintf(date, sizeof date, "%04lld-%02d-%02dT", static_cast<long long>(year), month, day);
  out = date;
  append_clock(out, of_day, nanos);
  return true;
}

text_cell sf_cell_of(const nlohmann::json& row_type) {
  const std::string type = upper_type_name(row_type.value("type", ""));
  if (type == "FIXED" || type == "NUMBER") {
    auto scale = row_type.find("scale");
    bool fraction = scale != row_type.end() && scale->is_number_integer() && *scale > 0;
    return fraction ? text_cell::decimal : text_cell::integer;
  }
  if (type == "REAL" || type == "FLOAT" || type == "DOUBLE")
    return text_cell::real;
  if (type == "BOOLEAN")
    return text_cell::boolean;
  if (type == "DATE")
    return text_cell::date;
  if (type == "TIME")
    return text_cell::time;
  if (type == "TIMESTAMP_NTZ" || type == "DATETIME")
    return text_cell::timestamp_ntz;
  if (type == "TIMESTAMP_LTZ")
    return text_cell::timestamp;
  if (type == "TIMESTAMP_TZ")
    return text_cell::timestamp_tz;
  if (type == "VARIANT" || type == "OBJECT" || type == "ARRAY")
    return text_cell::json;
  if (type == "BINARY")
    return text_cell::binary;
  return text_cell::text;
}

void write_sf_value(row_writer& writer, text_cell cell, std::string_view text,
                    std::string& scratch) {
  bool ok = true;
  switch (cell) {
    case text_cell::date:
      ok = write_date(text, scratch);
      break;
    case text_cell::timestamp_ntz:
      ok = sf_epoch_to_iso(text, 0, scratch);
      break;
    case text_cell::timestamp:
      ok = sf_epoch_to_iso(text, 0, scratch);
      if (ok)
        scratch += "+00:00";
      break;
    case text_cell::timestamp_tz:
      ok = write_timestamp_tz(text, scratch);
      break;
    case text_cell::time:
      return write_time(text, scratch) ? writer.text(scratch) : writer.text(text);
    case text_cell::binary:
      return decode_hex(text, scratch) ? writer.bytes(scratch) : writer.text(text);
    default:
      return write_common_cell(writer, cell, text);
  }
  if (ok)
    writer.timestamp(scratch);
  else
    writer.text(text);
}

}  // namespace backflow
