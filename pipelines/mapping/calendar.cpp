// Proleptic Gregorian calendar arithmetic (see calendar.hpp).
#include "pipelines/mapping/calendar.hpp"

#include <cstdio>

#include "pipelines/core/civil_date.hpp"

namespace backflow {
namespace {

constexpr const char* month_names[] = {"January", "February", "March",     "April",
                                       "May",     "June",     "July",      "August",
                                       "September", "October", "November", "December"};

/// Reads `count` digits at text[pos] as a number; false when they are not all digits.
bool number_at(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size())
    return false;
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

constexpr const char* malformed = "expected YYYY-MM-DD, optionally followed by a time";

std::string date_problem(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!number_at(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !number_at(text, 5, 2, month) || text[7] != '-' || !number_at(text, 8, 2, day))
    return malformed;
  if (year == 0)
    return "year 0000 does not exist (years run from 0001)";
  if (month < 1 || month > 12)
    return "month " + std::string(text.substr(5, 2)) + " is out of range";
  if (day < 1 || day > days_in_month(year, month))
    return day < 1 ? "day 00 does not exist"
                   : std::string(month_names[month - 1]) + " " + std::string(text.substr(0, 4)) +
                         " has " + std::to_string(days_in_month(year, month)) + " days";
  return {};
}

/// Checks "±HH", "±HHMM", "±HH:MM" or "±HH:MM:SS" (or 'Z') from text[pos] to the end.
std::string zone_problem(std::string_view text, size_t pos) {
  constexpr const char* bad_zone = "expected 'Z' or an offset like +02:00 after the time";
  if (text.substr(pos) == "Z" || text.substr(pos) == "z")
    return {};
  if (text[pos] != '+' && text[pos] != '-')
    return bad_zone;
  auto zone = text.substr(pos + 1);
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
  bool ok = number_at(zone, 0, 2, hours) &&
            (zone.size() == 2 || (zone.size() == 4 && number_at(zone, 2, 2, minutes)) ||
             (zone.size() >= 5 && zone[2] == ':' && number_at(zone, 3, 2, minutes) &&
              (zone.size() == 5 || (zone.size() == 8 && zone[5] == ':' &&
                                    number_at(zone, 6, 2, seconds)))));
  if (!ok)
    return bad_zone;
  if (hours > 23 || minutes > 59 || seconds > 59)
    return "offset " + std::string(text.substr(pos)) + " is out of range";
  return {};
}

std::string time_problem(std::string_view text, size_t pos) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!number_at(text, pos, 2, hour) || pos + 5 > text.size() || text[pos + 2] != ':' ||
      !number_at(text, pos + 3, 2, minute))
    return "expected HH:MM after the date";
  if (hour > 23)
    return "hour " + std::to_string(hour) + " is out of range";
  if (minute > 59)
    return "minute " + std::to_string(minute) + " is out of range";
  pos += 5;
  if (pos < text.size() && text[pos] == ':') {
    if (!number_at(text, pos + 1, 2, second))
      return "expected seconds as two digits";
    if (second > 59)
      return "second " + std::to_string(second) + " is out of range";
    pos += 3;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      size_t first = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == first)
        return "expected digits after the decimal point of the seconds";
    }
  }
  return pos == text.size() ? std::string() : zone_problem(text, pos);
}

}  // namespace

std::optional<std::string> iso8601_of_unix(int64_t seconds) {
  if (seconds < min_datetime_seconds || seconds > max_datetime_seconds)
    return std::nullopt;
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
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", static_cast<int>(year), month,
                day, static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  return std::string(buf);
}

std::string iso8601_problem(std::string_view text) {
  if (auto problem = date_problem(text); !problem.empty())
    return problem;
  if (text.size() == 10)
    return {};
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ')
    return "expected 'T' or a space between the date and the time";
  return time_problem(text, 11);
}

}  // namespace backflow
