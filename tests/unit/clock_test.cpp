// Quota days and their resets, in UTC and in an account's own time zone.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/clock.hpp"
#include "tests/unit/unit_time.hpp"

using namespace backflow;
using backflow::unit::at;
using namespace std::chrono;

BOOST_AUTO_TEST_CASE(a_utc_day_runs_from_midnight_to_midnight) {
  auto t = at(1795539600);  // 2026-11-24T17:00:00Z
  BOOST_TEST(iso8601(t) == "2026-11-24T17:00:00Z");
  BOOST_TEST(quota_day(t, minutes(0)) == "2026-11-24");
  BOOST_TEST(iso8601(quota_day_end(t, minutes(0))) == "2026-11-25T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(an_account_west_of_utc_resets_at_its_own_midnight) {
  auto t = at(1795539600);                    // 17:00Z is 12:00 in UTC-05:00
  BOOST_TEST(quota_day(t, minutes(-300)) == "2026-11-24");
  BOOST_TEST(iso8601(quota_day_end(t, minutes(-300))) == "2026-11-25T05:00:00Z");
  auto late = at(1795539600 + 9 * 3600);      // 02:00Z next day is still the 24th there
  BOOST_TEST(quota_day(late, minutes(-300)) == "2026-11-24");
}

BOOST_AUTO_TEST_CASE(an_account_east_of_utc_is_already_tomorrow) {
  auto t = at(1795539600);                    // 17:00Z is 02:00 on the 25th in UTC+09:00
  BOOST_TEST(quota_day(t, minutes(540)) == "2026-11-25");
  BOOST_TEST(iso8601(quota_day_end(t, minutes(540))) == "2026-11-25T15:00:00Z");
}
