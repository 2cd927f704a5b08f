// Cron expressions (see cron.hpp).
#include "pipelines/schedule/cron.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <sstream>
#include <vector>

namespace backflow {
namespace {

struct field_spec {
  const char* name;
  int low;
  int high;
  std::vector<std::string> names;  ///< names[i] stands for low + i
};

const std::array<field_spec, 5> fields = {{
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month", 1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
    {"day of week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}};

std::optional<int> value_of(const std::string& token, const field_spec& f) {
  if (token.empty())
    return std::nullopt;
  std::string upper;
  for (char c : token)
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < f.names.size(); ++i)
    if (upper == f.names[i])
      return f.low + static_cast<int>(i);
  for (char c : token)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  if (token.size() > 2)
    return std::nullopt;
  int v = std::stoi(token);
  if (v < f.low || v > f.high)
    return std::nullopt;
  return v;
}

/// Sets the bits of one field; false (with `why`) when it does not parse.
bool parse_field(const std::string& text, const field_spec& f, std::vector<bool>& bits,
                 std::string& why) {
  bits.assign(static_cast<size_t>(f.high + 1), false);
  std::stringstream parts(text);
  std::string part;
  bool any = false;
  while (std::getline(parts, part, ',')) {
    any = true;
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      auto s = part.substr(slash + 1);
      bool digits = !s.empty() && s.size() <= 2;
      for (char c : s)
        digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (!digits || std::stoi(s) == 0) {
        why = std::string(f.name) + ": \"" + part + "\" has a bad step";
        return false;
      }
      step = std::stoi(s);
      part = part.substr(0, slash);
    }
    int from;
    int to;
    if (part == "*") {
      from = f.low;
      to = f.high;
    } else if (auto dash = part.find('-'); dash != std::string::npos) {
      auto a = value_of(part.substr(0, dash), f);
      auto b = value_of(part.substr(dash + 1), f);
      if (!a || !b || *a > *b) {
        why = std::string(f.name) + ": \"" + part + "\" is not a range within " +
              std::to_string(f.low) + "-" + std::to_string(f.high);
        return false;
      }
      from = *a;
      to = *b;
    } else {
      auto a = value_of(part, f);
      if (!a) {
        why = std::string(f.name) + ": \"" + part + "\" is not a value within " +
              std::to_string(f.low) + "-" + std::to_string(f.high);
        return false;
      }
      from = *a;
      to = step > 1 ? f.high : *a;  // "5/15" means from 5 on, every 15
    }
    for (int v = from; v <= to; v += step)
      bits[static_cast<size_t>(v)] = true;
  }
  if (!any) {
    why = std::string(f.name) + " is empty";
    return false;
  }
  return true;
}

}  // namespace

result<cron_expr> cron_expr::parse(const std::string& text) {
  std::stringstream in(text);
  std::vector<std::string> parts;
  for (std::string p; in >> p;)
    parts.push_back(p);
  if (parts.size() != 5)
    return failure{"\"" + text + "\" is not a 5-field cron expression (minute hour "
                   "day-of-month month day-of-week)"};
  cron_expr c;
  c.text_ = text;
  std::vector<bool> bits;
  std::string why;
  for (size_t i = 0; i < 5; ++i) {
    if (!parse_field(parts[i], fields[i], bits, why))
      return failure{"\"" + text + "\": " + why};
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v])
        continue;
      switch (i) {
        case 0: c.minutes_.set(v); break;
        case 1: c.hours_.set(v); break;
        case 2: c.days_.set(v); break;
        case 3: c.months_.set(v); break;
        case 4: c.weekdays_.set(v % 7); break;  // 7 is Sunday too
      }
    }
  }
  c.any_day_ = parts[2] == "*";
  c.any_weekday_ = parts[4] == "*";
  return c;
}

bool cron_expr::day_matches(int mday, int month, int wday) const {
  if (!months_.test(static_cast<size_t>(month)))
    return false;
  bool by_day = days_.test(static_cast<size_t>(mday));
  bool by_weekday = weekdays_.test(static_cast<size_t>(wday));
  if (any_day_ || any_weekday_)
    return by_day && by_weekday;
  return by_day || by_weekday;
}

std::optional<std::chrono::system_clock::time_point> cron_expr::next_after(
    std::chrono::system_clock::time_point t, const time_zone& zone) const {
  // Search under the offset in force; a match past the zone's next change of offset is searched
  // again from that change under the new offset.
  auto from = t;
  auto offset_since = t;  // when `offset` took effect (or t)
  auto offset = zone.offset_at(t);
  for (int changes = 0; changes < 64; ++changes) {
    auto found = next_after_at_offset(from, offset);
    auto change = zone.next_transition_after(offset_since);
    if (!found || !change || *found < *change)
      return found;
    from = std::max(t, *change - std::chrono::seconds(1));
    offset_since = *change;
    offset = zone.offset_at(*change);
  }
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> cron_expr::next_after_at_offset(
    std::chrono::system_clock::time_point t, std::chrono::seconds utc_offset) const {
  using namespace std::chrono;
  // Work in the zone's wall clock, as seconds since the epoch, from the next whole minute.
  auto local = duration_cast<seconds>((t + utc_offset).time_since_epoch()).count();
  local = (local / 60 + 1) * 60;
  const auto limit = local + 5LL * 366 * 24 * 3600;
  while (local < limit) {
    auto secs = static_cast<std::time_t>(local);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    if (!day_matches(tm.tm_mday, tm.tm_mon + 1, tm.tm_wday)) {
      local += (24 - tm.tm_hour) * 3600LL - tm.tm_min * 60LL;  // next midnight
      continue;
    }
    if (!hours_.test(static_cast<size_t>(tm.tm_hour))) {
      local += 3600LL - tm.tm_min * 60LL;  // next hour
      continue;
    }
    if (!minutes_.test(static_cast<size_t>(tm.tm_min))) {
      local += 60;
      continue;
    }
    return system_clock::time_point(seconds(local)) - utc_offset;
  }
  return std::nullopt;
}

}  // namespace backflow
