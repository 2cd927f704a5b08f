// Time zones of cron schedules: the system's TZif files, POSIX rules past their last transition,
// cron slots across daylight-saving changes, and clear errors for unknown or corrupt zones.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/clock.hpp"
#include "tests/unit/unit_time.hpp"
#include "pipelines/core/file_bytes.hpp"
#include "pipelines/schedule/cron.hpp"
#include "pipelines/schedule/time_zone.hpp"

using namespace backflow;
using backflow::unit::at;
using namespace std::chrono;

namespace {

/// Unix seconds of a UTC date and time.
int64_t utc(int y, int mo, int d, int h = 0, int mi = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<int64_t>(timegm(&tm));
}

time_zone zone(const std::string& name) {
  auto z = time_zone::load(name);
  BOOST_REQUIRE_MESSAGE(z.ok(), (z.ok() ? "" : z.error().message));
  return *z;
}

int64_t offset(const time_zone& z, int64_t t) { return z.offset_at(at(t)).count(); }

std::string next_change(const time_zone& z, int64_t t) {
  auto n = z.next_transition_after(at(t));
  return n ? iso8601(*n) : "never";
}

std::string next_slot(const std::string& expr, const time_zone& z, int64_t from) {
  auto c = cron_expr::parse(expr);
  BOOST_REQUIRE(c.ok());
  auto n = c->next_after(at(from), z);
  return n ? iso8601(*n) : "never";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(time_zones)

BOOST_AUTO_TEST_CASE(zone_files_give_the_offset_and_its_changes) {
  auto paris = zone("Europe/Paris");
  BOOST_TEST(offset(paris, utc(2026, 1, 15)) == 3600);
  BOOST_TEST(offset(paris, utc(2026, 7, 15)) == 7200);
  BOOST_TEST(offset(paris, utc(2026, 3, 29, 0, 59)) == 3600);
  BOOST_TEST(offset(paris, utc(2026, 3, 29, 1, 0)) == 7200);  // the change itself is in DST
  BOOST_TEST(next_change(paris, utc(2026, 1, 1)) == "2026-03-29T01:00:00Z");
  BOOST_TEST(next_change(paris, utc(2026, 3, 29, 1, 0)) == "2026-10-25T01:00:00Z");
  auto new_york = zone("America/New_York");
  BOOST_TEST(offset(new_york, utc(2026, 1, 15)) == -5 * 3600);
  BOOST_TEST(offset(new_york, utc(2026, 7, 15)) == -4 * 3600);
  BOOST_TEST(next_change(new_york, utc(2026, 3, 1)) == "2026-03-08T07:00:00Z");
  BOOST_TEST(next_change(new_york, utc(2026, 3, 8, 7, 0)) == "2026-11-01T06:00:00Z");
  // Southern hemisphere: daylight saving time spans the new year.
  auto sydney = zone("Australia/Sydney");
  BOOST_TEST(offset(sydney, utc(2026, 1, 15)) == 11 * 3600);
  BOOST_TEST(offset(sydney, utc(2026, 7, 15)) == 10 * 3600);
  BOOST_TEST(next_change(sydney, utc(2026, 1, 1)) == "2026-04-04T16:00:00Z");
  // No daylight saving time: no change ahead.
  auto tokyo = zone("Asia/Tokyo");
  BOOST_TEST(offset(tokyo, utc(2026, 7, 15)) == 9 * 3600);
  BOOST_TEST(next_change(tokyo, utc(2026, 1, 1)) == "never");
}

BOOST_AUTO_TEST_CASE(the_footer_rule_takes_over_after_the_last_listed_change) {
  // TZif files list changes up to 2037 at most; 2100 comes from the POSIX rule in the footer.
  auto paris = zone("Europe/Paris");
  BOOST_TEST(offset(paris, utc(2100, 1, 15)) == 3600);
  BOOST_TEST(offset(paris, utc(2100, 7, 15)) == 7200);
  BOOST_TEST(next_change(paris, utc(2100, 1, 1)) == "2100-03-28T01:00:00Z");
  BOOST_TEST(next_change(paris, utc(2100, 3, 28, 1, 0)) == "2100-10-31T01:00:00Z");
  auto sydney = zone("Australia/Sydney");
  BOOST_TEST(offset(sydney, utc(2100, 1, 15)) == 11 * 3600);
  BOOST_TEST(next_change(sydney, utc(2100, 1, 1)) == "2100-04-03T16:00:00Z");
  BOOST_TEST(next_change(sydney, utc(2100, 4, 3, 16, 0)) == "2100-10-02T16:00:00Z");
}

BOOST_AUTO_TEST_CASE(posix_rules_parse_every_date_form) {
  auto us = zone_rule::parse("EST5EDT,M3.2.0,M11.1.0");
  BOOST_REQUIRE(us.has_value());
  BOOST_TEST(us->standard_offset == -5 * 3600);
  BOOST_TEST(*us->dst_offset == -4 * 3600);
  BOOST_TEST(us->offset_at(utc(2030, 7, 1)) == -4 * 3600);
  BOOST_TEST(us->offset_at(utc(2030, 3, 10, 6, 59)) == -5 * 3600);  // second Sunday, 02:00 EST
  BOOST_TEST(us->offset_at(utc(2030, 3, 10, 7, 0)) == -4 * 3600);
  // Quoted names, a time past 24 h (Israel: Friday before the last Sunday, written as Thursday 26:00).
  auto israel = zone_rule::parse("IST-2IDT,M3.4.4/26,M10.5.0");
  BOOST_REQUIRE(israel.has_value());
  BOOST_TEST(israel->offset_at(utc(2030, 3, 29, 0, 0)) == 3 * 3600);  // Fri 29 Mar 2030, 02:00 IST
  BOOST_TEST(israel->offset_at(utc(2030, 3, 28, 23, 59)) == 2 * 3600);
  auto fixed = zone_rule::parse("<+03>-3");
  BOOST_REQUIRE(fixed.has_value());
  BOOST_TEST(fixed->offset_at(utc(2030, 1, 1)) == 3 * 3600);
  BOOST_TEST(!fixed->next_transition_after(utc(2030, 1, 1)).has_value());
  auto julian = zone_rule::parse("XXX3YYY,J60/0,J300/0");  // 1 March (never 29 Feb) to 27 October
  BOOST_REQUIRE(julian.has_value());
  BOOST_TEST(julian->offset_at(utc(2028, 2, 29, 12, 0)) == -3 * 3600);
  BOOST_TEST(julian->offset_at(utc(2028, 3, 1, 12, 0)) == -2 * 3600);
  for (const char* bad : {"", "X1", "CET", "CET-1CEST", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
                          "CET-1CEST,M3.5.0,M10.5.0/", "<+0", "CET-1CEST,M3.5.0,M10.5.0junk"})
    BOOST_TEST(!zone_rule::parse(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(cron_slots_follow_the_wall_clock_across_daylight_saving_changes) {
  auto paris = zone("Europe/Paris");
  // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer.
  BOOST_TEST(next_slot("0 9 * * *", paris, utc(2026, 3, 28, 12)) == "2026-03-29T07:00:00Z");
  BOOST_TEST(next_slot("0 9 * * *", paris, utc(2026, 3, 27, 12)) == "2026-03-28T08:00:00Z");
  // 02:30 does not exist on 29 March (02:00 -> 03:00): that day is skipped.
  BOOST_TEST(next_slot("30 2 * * *", paris, utc(2026, 3, 28, 12)) == "2026-03-30T00:30:00Z");
  // 02:30 happens twice on 25 October (03:00 -> 02:00): both fire.
  BOOST_TEST(next_slot("30 2 * * *", paris, utc(2026, 10, 24, 12)) == "2026-10-25T00:30:00Z");
  BOOST_TEST(next_slot("30 2 * * *", paris, utc(2026, 10, 25, 0, 30)) == "2026-10-25T01:30:00Z");
  BOOST_TEST(next_slot("30 2 * * *", paris, utc(2026, 10, 25, 1, 30)) == "2026-10-26T01:30:00Z");
  // Every 15 minutes runs on straight through the change.
  BOOST_TEST(next_slot("*/15 * * * *", paris, utc(2026, 3, 29, 0, 50)) == "2026-03-29T01:00:00Z");
  auto new_york = zone("America/New_York");
  BOOST_TEST(next_slot("0 9 * * MON-FRI", new_york, utc(2026, 11, 24, 17)) == "2026-11-25T14:00:00Z");
  BOOST_TEST(next_slot("0 9 * * MON-FRI", new_york, utc(2026, 7, 1, 17)) == "2026-07-02T13:00:00Z");
}

BOOST_AUTO_TEST_CASE(names_offsets_and_utc_load) {
  BOOST_TEST(zone("UTC").name() == "UTC");
  BOOST_TEST(offset(zone("UTC"), utc(2026, 7, 1)) == 0);
  BOOST_TEST(offset(zone("+05:30"), utc(2026, 7, 1)) == 19800);
  BOOST_TEST(zone("+05:30").name() == "+05:30");
  BOOST_TEST(offset(zone("Etc/UTC"), utc(2026, 7, 1)) == 0);
}

BOOST_AUTO_TEST_CASE(unknown_or_unsafe_names_are_refused_clearly) {
  auto message = [](const std::string& name) {
    auto z = time_zone::load(name);
    return z.ok() ? std::string("loaded") : z.error().message;
  };
  BOOST_TEST(message("Mars/Olympus_Mons").find("\"Mars/Olympus_Mons\" is not a known time zone") == 0u);
  BOOST_TEST(message("Europe").find("is not a known time zone") != std::string::npos);  // a directory
  BOOST_TEST(message("../../etc/passwd").find("is not \"UTC\", an offset") != std::string::npos);
  BOOST_TEST(message("/etc/localtime").find("is not \"UTC\", an offset") != std::string::npos);
  BOOST_TEST(message("Europe/Paris;rm").find("is not \"UTC\", an offset") != std::string::npos);
  BOOST_TEST(message("").find("is not \"UTC\", an offset") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(corrupt_zone_files_are_errors_not_crashes) {
  auto good = file_bytes("/usr/share/zoneinfo/Europe/Paris").value_or("");
  BOOST_REQUIRE(good.size() > 100u);
  BOOST_TEST(time_zone::from_tzif("Europe/Paris", good).ok());
  // Every truncation, and a byte flipped at every position of the headers, parse or fail cleanly.
  for (size_t n = 0; n < good.size(); n += 7) {
    auto z = time_zone::from_tzif("cut", good.substr(0, n));
    if (!z.ok())
      BOOST_TEST(z.error().message.find("is not valid TZif") != std::string::npos);
  }
  for (size_t i = 0; i < 44; ++i) {
    auto flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    (void)time_zone::from_tzif("flipped", flipped);
  }
  BOOST_TEST(time_zone::from_tzif("x", "not a zone file").error().message ==
             "the time zone file of \"x\" is not valid TZif: no TZif header");
}

BOOST_AUTO_TEST_SUITE_END()
