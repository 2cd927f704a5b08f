// Cursor values of incremental reads (see cursor_value.hpp).
#include "pipelines/core/cursor_value.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

#include "pipelines/core/civil_date.hpp"

namespace backflow {
namespace {

constexpr int64_t micros_per_second = 1'000'000;

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

/// "YYYY-MM-DD[( |T)HH:MM[:SS[.f...]]][Z|±HH[:MM]]" into microseconds; false otherwise.
bool parse_timestamp(std::string_view s, int64_t& micros, bool& zoned) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 ||
      d > days_in_month(y, mo))
    return false;
  size_t pos = 10;
  int64_t fraction = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || s.size() < pos + 6 || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, mi) || h > 23 || mi > 59)
      return false;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec) || sec > 60)
        return false;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      int64_t scale = 100'000;
      ++pos;
      size_t start = pos;
      for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
        fraction += (s[pos] - '0') * scale;
      if (pos == start)
        return false;
    }
  }
  int64_t offset_minutes = 0;
  zoned = false;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      zoned = true;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, pos + 1, 2, oh))
        return false;
      size_t rest = pos + 3;
      if (rest < s.size() && s[rest] == ':')
        ++rest;
      if (rest < s.size() && !digits(s, rest, 2, om))
        return false;
      if (rest < s.size() && rest + 2 != s.size())
        return false;
      offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
      zoned = true;
    } else {
      return false;
    }
  }
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                    offset_minutes * 60;
  micros = seconds * micros_per_second + fraction;
  return true;
}

std::string format_timestamp(int64_t micros, bool zoned) {
  int64_t seconds = micros / micros_per_second;
  int64_t fraction = micros % micros_per_second;
  if (fraction < 0) {
    fraction += micros_per_second;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lld%s",
                static_cast<long long>(year), month, day, static_cast<int>(rest / 3600),
                static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60),
                static_cast<long long>(fraction), zoned ? "+00:00" : "");
  return buf;
}

}  // namespace

const char* to_string(cursor_kind k) {
  return k == cursor_kind::integer ? "integer" : "timestamp";
}

std::optional<cursor_kind> cursor_kind_named(const std::string& name) {
  if (name == "integer")
    return cursor_kind::integer;
  if (name == "timestamp")
    return cursor_kind::timestamp;
  return std::nullopt;
}

std::optional<cursor_value> cursor_value_of(const cell& c, std::string& why) {
  cursor_value v;
  switch (c.type) {
    case cell_type::null:
      return std::nullopt;
    case cell_type::integer:
      v.kind = cursor_kind::integer;
      v.order = c.integer;
      v.text = std::to_string(c.integer);
      return v;
    case cell_type::decimal: {  // an exact integer column some warehouses return as decimal
      auto text = std::string(c.text);
      auto parsed = std::from_chars(text.data(), text.data() + text.size(), v.order);
      if (parsed.ec == std::errc() && parsed.ptr == text.data() + text.size()) {
        v.kind = cursor_kind::integer;
        v.text = text;
        return v;
      }
      break;
    }
    case cell_type::timestamp:
    case cell_type::text:
      v.kind = cursor_kind::timestamp;
      v.text = std::string(c.text);
      if (parse_timestamp(c.text, v.order, v.zoned))
        return v;
      break;
    default:
      break;
  }
  why = "holds " + cell_to_string(c) + ", neither an integer nor a date or timestamp";
  return std::nullopt;
}

std::optional<cursor_value> parse_cursor_text(cursor_kind kind, const std::string& text) {
  cursor_value v;
  v.kind = kind;
  v.text = text;
  if (kind == cursor_kind::integer) {
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), v.order);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size())
      return std::nullopt;
    return v;
  }
  if (!parse_timestamp(text, v.order, v.zoned))
    return std::nullopt;
  return v;
}

std::string window_start(const cursor_value& mark, long long lookback_ms) {
  if (mark.kind == cursor_kind::integer) {
    int64_t back = lookback_ms / 1000;
    int64_t from = mark.order < std::numeric_limits<int64_t>::min() + back
                       ? std::numeric_limits<int64_t>::min()
                       : mark.order - back;
    return std::to_string(from);
  }
  return format_timestamp(mark.order - static_cast<int64_t>(lookback_ms) * 1000, mark.zoned);
}

}  // namespace backflow
