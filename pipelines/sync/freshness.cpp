// The freshness guard (see freshness.hpp).
#include "pipelines/sync/freshness.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/clock.hpp"

namespace backflow {
namespace {

using sys_clock = std::chrono::system_clock;

/// Reads exactly `n` digits at `pos` into `out`, advancing `pos`.
bool read_digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

std::optional<sys_clock::time_point> from_unix_seconds(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e11)
    return std::nullopt;
  return sys_clock::time_point(std::chrono::duration_cast<sys_clock::duration>(
      std::chrono::duration<double>(seconds)));
}

/// Parses an all-digits (optionally fractional) text as unix seconds.
std::optional<sys_clock::time_point> unix_text(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string_view::npos ||
      s.find('.') != s.rfind('.') || s.front() == '.')
    return std::nullopt;
  return from_unix_seconds(std::strtod(std::string(s).c_str(), nullptr));
}

/// Parses the zone suffix at `pos` ("", "Z", "+HH", "+HHMM", "+HH:MM") into an offset in minutes.
bool read_zone(std::string_view s, size_t pos, int& offset_minutes) {
  offset_minutes = 0;
  if (pos == s.size())
    return true;
  if (s[pos] == 'Z' || s[pos] == 'z')
    return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-')
    return false;
  int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = 0;
  int minutes = 0;
  if (!read_digits(s, pos, 2, hours))
    return false;
  if (pos < s.size()) {
    expect(s, pos, ':');
    if (!read_digits(s, pos, 2, minutes) || pos != s.size())
      return false;
  }
  if (hours > 23 || minutes > 59)
    return false;
  offset_minutes = sign * (hours * 60 + minutes);
  return true;
}

}  // namespace

std::optional<sys_clock::time_point> parse_freshness_text(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (auto unix = unix_text(text))
    return unix;
  std::tm tm{};
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, day))
    return std::nullopt;
  double fraction = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    ++pos;
    if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, minute))
      return std::nullopt;
    if (expect(text, pos, ':') && !read_digits(text, pos, 2, second))
      return std::nullopt;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      size_t start = ++pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
        ++pos;
      if (pos == start)
        return std::nullopt;
      fraction = std::strtod(("0." + std::string(text.substr(start, pos - start))).c_str(), nullptr);
    }
  }
  int offset = 0;
  if (!read_zone(text, pos, offset))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  auto seconds = static_cast<double>(timegm(&tm)) - offset * 60.0 + fraction;
  return from_unix_seconds(seconds);
}

std::optional<sys_clock::time_point> parse_freshness_cell(const cell& value) {
  switch (value.type) {
    case cell_type::integer:
      return from_unix_seconds(static_cast<double>(value.integer));
    case cell_type::real:
      return from_unix_seconds(value.real);
    case cell_type::decimal: {
      // PostgreSQL 14+ gives extract(epoch ...) as numeric: exact seconds, read as a double
      // (a timestamp needs no more than millisecond precision).
      auto text = std::string(value.text);
      char* end = nullptr;
      double seconds = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size())
        return std::nullopt;
      return from_unix_seconds(seconds);
    }
    case cell_type::text:
    case cell_type::timestamp:
      return parse_freshness_text(value.text);
    default:
      return std::nullopt;
  }
}

std::string describe_age(std::chrono::milliseconds age) {
  if (age.count() < 0)
    return "in the future";
  auto total = age.count() / 1000;
  struct unit {
    long long seconds;
    const char* suffix;
  };
  constexpr unit units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  for (const auto& u : units) {
    if (total >= u.seconds) {
      out += (out.empty() ? "" : " ") + std::to_string(total / u.seconds) + u.suffix;
      total %= u.seconds;
    }
  }
  return out.empty() ? "0s" : out;
}

freshness_verdict judge_freshness(const cell& newest, std::chrono::milliseconds max_age,
                                  sys_clock::time_point now) {
  freshness_verdict out;
  auto limit = "max_age " + describe_age(max_age);
  if (newest.is_null()) {
    out.message = "freshness.query returned null (no data), so the model counts as stale (" +
                  limit + ")";
    return out;
  }
  auto at = parse_freshness_cell(newest);
  auto shown = cell_to_string(newest);
  if (!at) {
    out.message = "freshness.query returned \"" + shown +
                  "\", which is neither a timestamp nor unix seconds, so the model counts as "
                  "stale (" + limit + ")";
    return out;
  }
  auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *at);
  out.fresh = age <= max_age;
  out.message = "newest value " + shown + " (" + iso8601(*at) + ") is " +
                (age.count() < 0 ? std::string("in the future") : describe_age(age) + " old") +
                (out.fresh ? ", within " : ", older than ") + limit;
  return out;
}

freshness_verdict check_freshness(const source_spec& source, const freshness_config& config,
                                  sys_clock::time_point now) {
  freshness_verdict out;
  auto spec = source;
  spec.query = config.query;
  auto cursor = open_source(spec);
  if (!cursor) {
    out.query_failed = true;
    out.message = "freshness.query failed: " + cursor.error().message;
    return out;
  }
  packed_rows rows;
  auto got = (*cursor)->fetch(rows, 1);
  if (!got) {
    out.query_failed = true;
    out.message = "freshness.query failed: " + got.error().message;
    return out;
  }
  if (*got == 0 || (*cursor)->columns().empty())
    return judge_freshness(cell::null_cell(), config.max_age, now);
  auto cells = decode_row(rows[0]);
  return judge_freshness(cells.empty() ? cell::null_cell() : cells[0], config.max_age, now);
}

}  // namespace backflow
