// Fuzzes time zone files (TZif) and POSIX TZ rules, and cron slots in whatever zone they give.
#include <chrono>
#include <string>

#include "pipelines/schedule/cron.hpp"
#include "pipelines/schedule/time_zone.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (auto rule = zone_rule::parse(bytes)) {
    for (int64_t t : {int64_t{0}, int64_t{1795539600}, int64_t{4102444800}}) {
      auto offset = rule->offset_at(t);
      fuzz::require(offset > -200 * 3600 && offset < 200 * 3600, "rule offsets stay in range");
      if (auto next = rule->next_transition_after(t))
        fuzz::require(*next > t, "a rule's next change lies ahead");
    }
  }
  auto zone = time_zone::from_tzif("fuzz", bytes);
  if (!zone.ok())
    return 0;
  static const auto every_hour = *cron_expr::parse("0 * * * *");
  using std::chrono::system_clock;
  for (int64_t t : {int64_t{-4000000000}, int64_t{0}, int64_t{1795539600}, int64_t{4102444800}}) {
    auto at = system_clock::time_point(std::chrono::seconds(t));
    (void)zone->offset_at(at);
    if (auto next = zone->next_transition_after(at))
      fuzz::require(*next > at, "a zone's next change lies ahead");
    if (auto slot = every_hour.next_after(at, *zone))
      fuzz::require(*slot > at, "a cron slot lies ahead");
  }
  return 0;
}
