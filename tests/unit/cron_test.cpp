// Cron expressions: parsing errors that name the field, and the next matching minute.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/clock.hpp"
#include "tests/unit/unit_time.hpp"
#include "pipelines/schedule/cron.hpp"
#include "pipelines/schedule/schedule.hpp"

using namespace backflow;
using backflow::unit::at;
using namespace std::chrono;

namespace {

constexpr std::time_t tuesday_17h = 1795539600;  // 2026-11-24T17:00:00Z, a Tuesday

std::string next(const std::string& expr, std::time_t from, minutes offset = minutes(0)) {
  auto c = cron_expr::parse(expr);
  BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  auto n = c->next_after(at(from), time_zone::fixed(offset));
  return n ? iso8601(*n) : "never";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cron)

BOOST_AUTO_TEST_CASE(every_five_minutes_fires_on_the_next_multiple) {
  BOOST_TEST(next("*/5 * * * *", tuesday_17h) == "2026-11-24T17:05:00Z");
  BOOST_TEST(next("*/5 * * * *", tuesday_17h + 61) == "2026-11-24T17:05:00Z");
  BOOST_TEST(next("*/5 * * * *", tuesday_17h + 300) == "2026-11-24T17:10:00Z");  // strictly after
}

BOOST_AUTO_TEST_CASE(hours_days_months_and_names) {
  BOOST_TEST(next("30 2 * * *", tuesday_17h) == "2026-11-25T02:30:00Z");
  BOOST_TEST(next("0 9 1 * *", tuesday_17h) == "2026-12-01T09:00:00Z");
  BOOST_TEST(next("0 0 * JAN *", tuesday_17h) == "2027-01-01T00:00:00Z");
  BOOST_TEST(next("0 8 * * MON-FRI", tuesday_17h) == "2026-11-25T08:00:00Z");
  BOOST_TEST(next("0 8 * * sat,sun", tuesday_17h) == "2026-11-28T08:00:00Z");
  BOOST_TEST(next("0 8 * * 7", tuesday_17h) == "2026-11-29T08:00:00Z");  // 7 is Sunday
  BOOST_TEST(next("15-45/15 10 * * *", tuesday_17h) == "2026-11-25T10:15:00Z");
}

BOOST_AUTO_TEST_CASE(both_day_fields_restricted_means_either) {
  // The 1st of the month or any Friday, whichever comes first.
  BOOST_TEST(next("0 0 1 * FRI", tuesday_17h) == "2026-11-27T00:00:00Z");
  BOOST_TEST(next("0 0 1 * FRI", tuesday_17h + 4 * 86400) == "2026-12-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_zone_offset_moves_the_wall_clock) {
  // 09:00 at UTC+02:00 is 07:00Z.
  BOOST_TEST(next("0 9 * * *", tuesday_17h, minutes(120)) == "2026-11-25T07:00:00Z");
  BOOST_TEST(next("0 9 * * *", tuesday_17h, minutes(-300)) == "2026-11-25T14:00:00Z");
}

BOOST_AUTO_TEST_CASE(an_impossible_date_never_fires) {
  BOOST_TEST(next("0 0 30 2 *", tuesday_17h) == "never");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  auto msg = [](const std::string& e) {
    auto c = cron_expr::parse(e);
    return c.ok() ? std::string("ok") : c.error().message;
  };
  BOOST_TEST(msg("* * * *").find("is not a 5-field cron expression") != std::string::npos);
  BOOST_TEST(msg("60 * * * *").find("minute: \"60\" is not a value within 0-59") != std::string::npos);
  BOOST_TEST(msg("* 5-2 * * *").find("hour: \"5-2\" is not a range") != std::string::npos);
  BOOST_TEST(msg("*/0 * * * *").find("minute: \"*/0\" has a bad step") != std::string::npos);
  BOOST_TEST(msg("* * * FOO *").find("month: \"FOO\"") != std::string::npos);
  BOOST_TEST(msg("* * 0 * *").find("day of month: \"0\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(schedules_parse_and_describe_themselves) {
  using nlohmann::json;
  config_errors errors;
  auto every = parse_sync_schedule(json{{"every", "5m"}}, errors);
  BOOST_TEST(every.describe() == "every 5m");
  BOOST_TEST(iso8601(*every.next_after(at(tuesday_17h))) == "2026-11-24T17:05:00Z");
  auto cron = parse_sync_schedule(json{{"cron", "0 9 * * *"}, {"timezone", "+02:00"}}, errors);
  BOOST_TEST(cron.describe() == "cron 0 9 * * * (+02:00)");
  BOOST_TEST(iso8601(*cron.next_after(at(tuesday_17h))) == "2026-11-25T07:00:00Z");
  auto manual = parse_sync_schedule(json{{"manual", true}}, errors);
  BOOST_TEST(!manual.next_after(at(tuesday_17h)).has_value());
  BOOST_TEST(parse_sync_schedule(json(), errors).describe() == "manual");
  BOOST_TEST(errors.empty());
}

BOOST_AUTO_TEST_CASE(schedule_errors_name_their_key) {
  using nlohmann::json;
  config_errors errors;
  parse_sync_schedule(json{{"cron", "61 * * * *"}}, errors);
  parse_sync_schedule(json{{"cron", "* * * * *"}, {"timezone", "Mars/Olympus_Mons"}}, errors);
  parse_sync_schedule(json{{"every", "5m"}, {"cron", "* * * * *"}}, errors);
  parse_sync_schedule(json{{"every", "5m"}, {"timezone", "+01:00"}}, errors);
  const auto& e = errors.items();
  BOOST_REQUIRE_EQUAL(e.size(), 4u);
  BOOST_TEST(e[0].find("schedule.cron: \"61 * * * *\": minute") == 0u);
  BOOST_TEST(e[1].find("schedule.timezone: \"Mars/Olympus_Mons\" is not a known time zone") == 0u,
             e[1]);
  BOOST_TEST(e[2] == "schedule: give exactly one of \"every\", \"cron\" or \"manual\": true");
  BOOST_TEST(e[3] == "schedule.timezone: only applies to a cron schedule");
}

BOOST_AUTO_TEST_SUITE_END()
