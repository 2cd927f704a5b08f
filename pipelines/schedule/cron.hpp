// Standard 5-field cron expressions ("*/5 * * * *"): parsing and the next matching minute.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>

#include "pipelines/core/result.hpp"
#include "pipelines/schedule/time_zone.hpp"

namespace backflow {

/// minute hour day-of-month month day-of-week, each `*`, a number, a range `a-b`, a step `*/n`
/// or `a-b/n`, or a comma list of those. Months and weekdays also take names (JAN, MON). A
/// weekday of 7 is Sunday. As in Vixie cron, when both day fields are restricted a day matching
/// either one fires.
class cron_expr {
 public:
  static result<cron_expr> parse(const std::string& text);

  /// The first minute strictly after `t` whose wall-clock time in `zone` matches; nullopt if
  /// none comes within five years (e.g. "0 0 30 2 *"). Around daylight-saving changes, a wall
  /// time the clocks skip does not fire, and one they repeat fires at each occurrence.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_after(
      std::chrono::system_clock::time_point t, const time_zone& zone = {}) const;

  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  [[nodiscard]] bool day_matches(int mday, int month, int wday) const;
  /// next_after with one offset for all time.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_after_at_offset(
      std::chrono::system_clock::time_point t, std::chrono::seconds utc_offset) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    ///< 1..31
  std::bitset<13> months_;  ///< 1..12
  std::bitset<7> weekdays_; ///< 0 = Sunday
  bool any_day_ = false;      ///< day-of-month was `*`
  bool any_weekday_ = false;  ///< day-of-week was `*`
};

}  // namespace backflow
