// Wall-clock time for quotas and pauses (see clock.hpp).
#include "pipelines/core/clock.hpp"

#include <cstdlib>
#include <ctime>

namespace backflow {
namespace {

/// How far the test hook moves the clock (zero without BACKFLOW_FAKE_NOW).
std::chrono::system_clock::duration fake_shift() {
  static const auto shift = [] {
    const char* fake = std::getenv("BACKFLOW_FAKE_NOW");
    if (fake == nullptr || *fake == '\0')
      return std::chrono::system_clock::duration::zero();
    auto target = std::chrono::system_clock::from_time_t(static_cast<std::time_t>(std::atoll(fake)));
    return target - std::chrono::system_clock::now();
  }();
  return shift;
}

std::chrono::system_clock::time_point day_start(std::chrono::system_clock::time_point t,
                                                std::chrono::minutes offset, std::string* name) {
  auto local = t + offset;
  auto secs = std::chrono::system_clock::to_time_t(local);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  if (name != nullptr) {
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    *name = buf;
  }
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) - offset;
}

}  // namespace

std::chrono::system_clock::time_point wall_now() {
  return std::chrono::system_clock::now() + fake_shift();
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch()).count();
}

std::string quota_day(std::chrono::system_clock::time_point t, std::chrono::minutes utc_offset) {
  std::string name;
  day_start(t, utc_offset, &name);
  return name;
}

std::chrono::system_clock::time_point quota_day_end(std::chrono::system_clock::time_point t,
                                                    std::chrono::minutes utc_offset) {
  return day_start(t, utc_offset, nullptr) + std::chrono::hours(24);
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace backflow
