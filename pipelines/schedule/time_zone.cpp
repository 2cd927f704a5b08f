// Time zones for cron schedules (see time_zone.hpp).
#include "pipelines/schedule/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/file_bytes.hpp"

namespace backflow {
namespace {

constexpr int64_t day_seconds = 86400;
/// Instants beyond ±this (unix seconds, about the years 1685 and 2255) do not fit a
/// system_clock::time_point counting nanoseconds; transitions out there are folded or dropped.
constexpr int64_t representable = 9'000'000'000;

/// The civil year of a day count from 1970-01-01.
int year_of_days(int64_t days) {
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  return static_cast<int>(year);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// Reads the POSIX TZ string grammar from `text` at `pos`.
class tz_reader {
 public:
  explicit tz_reader(const std::string& text) : text_(text) {}

  [[nodiscard]] bool at_end() const { return pos_ == text_.size(); }
  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool next_is_name() const {
    return pos_ < text_.size() && (text_[pos_] == '<' || std::isalpha(static_cast<unsigned char>(text_[pos_])));
  }

  /// An abbreviation: three or more letters, or <...> of letters, digits, + and -.
  bool name() {
    if (eat('<')) {
      auto close = text_.find('>', pos_);
      if (close == std::string::npos || close - pos_ < 3)
        return false;
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    return pos_ - start >= 3;
  }

  /// [+|-]hh[:mm[:ss]] in seconds; hours up to 167 (TZif v3 times).
  std::optional<int64_t> signed_time() {
    int sign = 1;
    if (eat('-'))
      sign = -1;
    else
      eat('+');
    auto h = number(0, 167);
    if (!h)
      return std::nullopt;
    int64_t total = *h * 3600;
    for (int64_t unit : {60, 1}) {
      if (!eat(':'))
        break;
      auto part = number(0, 59);
      if (!part)
        return std::nullopt;
      total += *part * unit;
    }
    return sign * total;
  }

  std::optional<int64_t> number(int64_t lo, int64_t hi) {
    size_t start = pos_;
    int64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) && pos_ - start < 4)
      v = v * 10 + (text_[pos_++] - '0');
    if (pos_ == start || v < lo || v > hi)
      return std::nullopt;
    return v;
  }

  /// Mm.w.d, Jn or n, then an optional /time.
  std::optional<zone_rule::date> date() {
    zone_rule::date d;
    if (eat('M')) {
      auto m = number(1, 12);
      if (!m || !eat('.'))
        return std::nullopt;
      auto w = number(1, 5);
      if (!w || !eat('.'))
        return std::nullopt;
      auto wd = number(0, 6);
      if (!wd)
        return std::nullopt;
      d.month = static_cast<int>(*m);
      d.week = static_cast<int>(*w);
      d.weekday = static_cast<int>(*wd);
    } else if (eat('J')) {
      auto n = number(1, 365);
      if (!n)
        return std::nullopt;
      d.what = zone_rule::date::kind::julian_no_leap;
      d.day = static_cast<int>(*n);
    } else {
      auto n = number(0, 365);
      if (!n)
        return std::nullopt;
      d.what = zone_rule::date::kind::julian;
      d.day = static_cast<int>(*n);
    }
    if (eat('/')) {
      auto t = signed_time();
      if (!t)
        return std::nullopt;
      d.time = *t;
    }
    return d;
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
};

/// The local midnight starting the rule's date in `year`, as seconds since 1970-01-01 of the
/// local clock (subtract the offset in force to get UTC).
int64_t local_midnight(int year, const zone_rule::date& d) {
  using kind = zone_rule::date::kind;
  const int64_t jan1 = days_from_civil(year, 1, 1);
  switch (d.what) {
    case kind::julian_no_leap: {
      int64_t day = d.day - 1;  // 0-based, 29 February never counted
      if (is_leap_year(year) && d.day >= 60)
        ++day;
      return (jan1 + day) * day_seconds;
    }
    case kind::julian:
      return (jan1 + d.day) * day_seconds;
    case kind::month_week_day:
      break;
  }
  const int64_t first = days_from_civil(year, d.month, 1);
  const int first_weekday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  int64_t day = first + (d.weekday - first_weekday + 7) % 7 + 7 * (d.week - 1);
  const int length = days_in_month(year, d.month);
  while (day >= first + length)  // week 5 means the last such weekday
    day -= 7;
  return day * day_seconds;
}

uint32_t be32(const std::string& b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

int64_t be64(const std::string& b, size_t at) {
  return static_cast<int64_t>((uint64_t(be32(b, at)) << 32) | be32(b, at + 4));
}

/// The six counts of a TZif header at `at`.
struct tzif_counts {
  uint32_t isut, isstd, leap, time, type, chars;

  [[nodiscard]] size_t data_size(size_t time_size) const {
    return size_t(time) * time_size + time + size_t(type) * 6 + chars +
           size_t(leap) * (time_size + 4) + isstd + isut;
  }
};

tzif_counts counts_at(const std::string& b, size_t at) {
  return {be32(b, at + 20), be32(b, at + 24), be32(b, at + 28),
          be32(b, at + 32), be32(b, at + 36), be32(b, at + 40)};
}

constexpr size_t header_size = 44;

}  // namespace

std::optional<zone_rule> zone_rule::parse(const std::string& text) {
  tz_reader in(text);
  zone_rule rule;
  if (!in.name())
    return std::nullopt;
  auto std_west = in.signed_time();
  if (!std_west)
    return std::nullopt;
  rule.standard_offset = -*std_west;  // POSIX counts west of Greenwich
  if (in.at_end())
    return rule;
  if (!in.next_is_name() || !in.name())
    return std::nullopt;
  rule.dst_offset = rule.standard_offset + 3600;
  if (in.at_end())
    return std::nullopt;  // DST without dates: TZif footers always give them
  if (!in.eat(',')) {
    auto dst_west = in.signed_time();
    if (!dst_west || !in.eat(','))
      return std::nullopt;
    rule.dst_offset = -*dst_west;
  }
  auto start = in.date();
  if (!start || !in.eat(','))
    return std::nullopt;
  auto end = in.date();
  if (!end || !in.at_end())
    return std::nullopt;
  rule.dst_start = *start;
  rule.dst_end = *end;
  return rule;
}

std::pair<int64_t, int64_t> zone_rule::transitions_in(int year) const {
  int64_t start = local_midnight(year, dst_start) + dst_start.time - standard_offset;
  int64_t end = local_midnight(year, dst_end) + dst_end.time - *dst_offset;
  return {start, end};
}

int64_t zone_rule::offset_at(int64_t utc) const {
  if (!dst_offset)
    return standard_offset;
  const int year = year_of_days(floor_div(utc + standard_offset, day_seconds));
  // Look at the neighbouring years too: a transition time past 24 h can cross a year boundary.
  std::optional<int64_t> last_change;
  bool in_dst = false;
  for (int y = year - 1; y <= year + 1; ++y) {
    auto [start, end] = transitions_in(y);
    for (auto [at, dst] : {std::pair{start, true}, std::pair{end, false}})
      if (at <= utc && (!last_change || at >= *last_change)) {
        last_change = at;
        in_dst = dst;
      }
  }
  return in_dst ? *dst_offset : standard_offset;
}

std::optional<int64_t> zone_rule::next_transition_after(int64_t utc) const {
  if (!dst_offset || dst_offset == standard_offset)
    return std::nullopt;
  const int year = year_of_days(floor_div(utc + standard_offset, day_seconds));
  std::optional<int64_t> next;
  for (int y = year - 1; y <= year + 2; ++y) {
    auto [start, end] = transitions_in(y);
    for (int64_t at : {start, end})
      if (at > utc && (!next || at < *next))
        next = at;
  }
  return next;
}

result<time_zone> time_zone::load(const std::string& name) {
  if (name == "UTC" || name == "Z")
    return time_zone{};
  if (auto offset = parse_utc_offset(name)) {
    auto zone = fixed(*offset);
    zone.name_ = name;
    return zone;
  }
  bool plausible = !name.empty() && name.size() < 256 && name.front() != '/' &&
                   name.find("..") == std::string::npos &&
                   std::all_of(name.begin(), name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' ||
                            c == '-' || c == '+';
                   });
  if (!plausible)
    return failure{"\"" + name + "\" is not \"UTC\", an offset like \"+02:00\" or a zone name like "
                   "\"Europe/Paris\""};
  const char* dir = std::getenv("TZDIR");
  auto path = std::filesystem::path(dir && *dir ? dir : "/usr/share/zoneinfo") / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return failure{"\"" + name + "\" is not a known time zone (no file " + path.string() +
                   "; zone names are like \"Europe/Paris\", and need the tzdata package)"};
  auto bytes = file_bytes(path);
  if (!bytes)
    return failure{"cannot read the time zone file " + path.string()};
  return from_tzif(name, *bytes);
}

result<time_zone> time_zone::from_tzif(const std::string& name, const std::string& b) {
  auto bad = [&](const std::string& why) {
    return failure{"the time zone file of \"" + name + "\" is not valid TZif: " + why};
  };
  if (b.size() < header_size || b.compare(0, 4, "TZif") != 0)
    return bad("no TZif header");
  const char version = b[4];
  auto counts = counts_at(b, 0);
  size_t at = header_size;
  size_t time_size = 4;
  if (version != '\0') {  // version 2+: skip the 32-bit block for the 64-bit one
    at += counts.data_size(4);
    if (b.size() < at + header_size || b.compare(at, 4, "TZif") != 0)
      return bad("truncated before the 64-bit header");
    counts = counts_at(b, at);
    at += header_size;
    time_size = 8;
  }
  if (counts.type == 0 || counts.type > 256 || counts.time > 100000 || counts.chars > 65536 ||
      counts.leap > 10000 || b.size() < at + counts.data_size(time_size))
    return bad("counts out of range or data truncated");
  time_zone zone;
  zone.name_ = name;
  const size_t types_at = at + size_t(counts.time) * time_size + counts.time;
  auto type_offset = [&](size_t type) {
    return static_cast<int64_t>(static_cast<int32_t>(be32(b, types_at + type * 6)));
  };
  for (uint32_t i = 0; i < counts.type; ++i)
    if (std::llabs(type_offset(i)) >= day_seconds)
      return bad("a UTC offset of a day or more");
  zone.initial_offset_ = type_offset(0);
  int64_t previous = 0;
  for (uint32_t i = 0; i < counts.time; ++i) {
    int64_t when = time_size == 8 ? be64(b, at + i * 8)
                                  : static_cast<int32_t>(be32(b, at + i * 4));
    auto type = static_cast<uint8_t>(b[at + size_t(counts.time) * time_size + i]);
    if (type >= counts.type)
      return bad("a transition names a missing type");
    if (i > 0 && when <= previous)
      return bad("transitions out of order");
    previous = when;
    if (when < -representable) {  // e.g. the "big bang" entry of fat files: sets the early offset
      zone.initial_offset_ = type_offset(type);
      continue;
    }
    if (when > representable)
      break;
    zone.transitions_.push_back(when);
    zone.offsets_.push_back(type_offset(type));
  }
  if (time_size == 8) {
    size_t footer = at + counts.data_size(8);
    if (footer < b.size() && b[footer] == '\n') {
      auto close = b.find('\n', footer + 1);
      if (close == std::string::npos)
        return bad("unterminated footer");
      auto text = b.substr(footer + 1, close - footer - 1);
      if (!text.empty()) {
        zone.rule_ = zone_rule::parse(text);
        if (!zone.rule_)
          return bad("footer \"" + text + "\" is not a POSIX TZ rule");
      }
    }
  }
  return zone;
}

time_zone time_zone::fixed(std::chrono::minutes offset) {
  time_zone zone;
  zone.initial_offset_ = std::chrono::duration_cast<std::chrono::seconds>(offset).count();
  zone.name_ = offset.count() == 0 ? "UTC" : "fixed";
  return zone;
}

std::chrono::seconds time_zone::offset_at(std::chrono::system_clock::time_point utc) const {
  const int64_t t = std::chrono::floor<std::chrono::seconds>(utc.time_since_epoch()).count();
  if (transitions_.empty())
    return std::chrono::seconds(rule_ ? rule_->offset_at(t) : initial_offset_);
  auto after = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (after == transitions_.begin())
    return std::chrono::seconds(initial_offset_);
  if (after == transitions_.end() && rule_)
    return std::chrono::seconds(rule_->offset_at(t));
  return std::chrono::seconds(offsets_[static_cast<size_t>(after - transitions_.begin() - 1)]);
}

std::optional<std::chrono::system_clock::time_point> time_zone::next_transition_after(
    std::chrono::system_clock::time_point utc) const {
  using namespace std::chrono;
  const int64_t t = floor<seconds>(utc.time_since_epoch()).count();
  auto after = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  std::optional<int64_t> next;
  if (after != transitions_.end())
    next = *after;
  else if (rule_)
    next = rule_->next_transition_after(t);
  if (!next || *next > representable)
    return std::nullopt;
  return system_clock::time_point(seconds(*next));
}

}  // namespace backflow
