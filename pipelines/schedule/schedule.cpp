// Sync schedules (see schedule.hpp).
#include "pipelines/schedule/schedule.hpp"

#include <cstdio>
#include <ctime>

namespace backflow {

std::optional<std::chrono::system_clock::time_point> sync_schedule::next_after(
    std::chrono::system_clock::time_point t) const {
  switch (what) {
    case kind::every:
      return t + interval;
    case kind::cron:
      return cron->next_after(t, zone);
    case kind::manual:
      break;
  }
  return std::nullopt;
}

std::string sync_schedule::describe() const {
  switch (what) {
    case kind::every: {
      auto s = std::chrono::duration_cast<std::chrono::seconds>(interval).count();
      return "every " + (s % 60 == 0 ? std::to_string(s / 60) + "m" : std::to_string(s) + "s");
    }
    case kind::cron:
      return "cron " + cron->text() + " (" + zone.name() + ")";
    case kind::manual:
      break;
  }
  return "manual";
}

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms - static_cast<int64_t>(secs) * 1000));
  return buf;
}

sync_schedule parse_sync_schedule(const nlohmann::json& value, config_errors& errors) {
  sync_schedule s;
  if (!value.is_object())
    return s;
  int kinds = int(value.contains("every")) + int(value.contains("cron")) +
              int(value.value("manual", false));
  if (kinds != 1) {
    errors.add("schedule", "give exactly one of \"every\", \"cron\" or \"manual\": true");
    return s;
  }
  if (value.contains("every")) {
    long long ms = 0;
    if (parse_duration(value["every"], ms)) {
      s.what = sync_schedule::kind::every;
      s.interval = std::chrono::milliseconds(ms);
    }
  } else if (value.contains("cron") && value["cron"].is_string()) {
    auto parsed = cron_expr::parse(value["cron"].get<std::string>());
    if (!parsed) {
      errors.add("schedule.cron", parsed.error().message);
    } else {
      s.what = sync_schedule::kind::cron;
      s.cron = std::move(*parsed);
    }
  }
  if (value.contains("timezone") && value["timezone"].is_string()) {
    auto zone = time_zone::load(value["timezone"].get<std::string>());
    if (!zone)
      errors.add("schedule.timezone", zone.error().message);
    else if (s.what != sync_schedule::kind::cron)
      errors.add("schedule.timezone", "only applies to a cron schedule");
    else
      s.zone = std::move(*zone);
  }
  return s;
}

}  // namespace backflow
