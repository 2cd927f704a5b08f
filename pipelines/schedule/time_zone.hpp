// Time zones for cron schedules: UTC, fixed offsets, or IANA names read from the system's TZif
// files (/usr/share/zoneinfo, or $TZDIR), daylight-saving rules included.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/core/result.hpp"

namespace backflow {

/// The rule a TZif file's footer gives for times after its last listed transition (POSIX TZ
/// string, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"). Offsets are seconds east of UTC.
struct zone_rule {
  /// A yearly transition date: Mm.w.d (month, week 1-5 where 5 is the last, weekday 0 = Sunday),
  /// Jn (day 1-365, never counting 29 February) or n (day 0-365, counting it), at `time` seconds
  /// after local midnight (may be negative or past 24 h).
  struct date {
    enum class kind { month_week_day, julian_no_leap, julian } what = kind::month_week_day;
    int month = 0, week = 0, weekday = 0, day = 0;
    int64_t time = 7200;
  };
  int64_t standard_offset = 0;
  std::optional<int64_t> dst_offset;  ///< no daylight saving time when empty
  date dst_start, dst_end;            ///< local dates: start in standard time, end in DST

  /// Parses a POSIX TZ string; nullopt if it is not one.
  static std::optional<zone_rule> parse(const std::string& text);
  /// The offset in force at `utc` (unix seconds).
  [[nodiscard]] int64_t offset_at(int64_t utc) const;
  /// The first change of offset strictly after `utc`, if the rule has DST.
  [[nodiscard]] std::optional<int64_t> next_transition_after(int64_t utc) const;

 private:
  /// The UTC instants at which DST starts and ends in `year`.
  [[nodiscard]] std::pair<int64_t, int64_t> transitions_in(int year) const;
};

/// A zone: the UTC offset in force at any instant, and when it next changes.
class time_zone {
 public:
  /// UTC.
  time_zone() = default;

  /// "UTC" or "Z", an offset like "+02:00", or an IANA name like "Europe/Paris". The error says
  /// which of those the text is not.
  static result<time_zone> load(const std::string& name);
  /// A zone from the bytes of a TZif file (RFC 8536), versions 1 to 4.
  static result<time_zone> from_tzif(const std::string& name, const std::string& bytes);
  static time_zone fixed(std::chrono::minutes offset);

  /// Seconds east of UTC at `utc`.
  [[nodiscard]] std::chrono::seconds offset_at(std::chrono::system_clock::time_point utc) const;
  /// The first instant strictly after `utc` at which the offset changes; nullopt if it never does.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_transition_after(
      std::chrono::system_clock::time_point utc) const;

  /// As given ("Europe/Paris", "+02:00"); "UTC" for UTC.
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_ = "UTC";
  int64_t initial_offset_ = 0;               ///< before the first transition
  std::vector<int64_t> transitions_;         ///< unix seconds, ascending
  std::vector<int64_t> offsets_;             ///< offsets_[i] applies from transitions_[i]
  std::optional<zone_rule> rule_;            ///< after the last transition
};

}  // namespace backflow
