// Guards on the whole change set: bad-model messages and change/delete ratio guards.
#include <boost/test/unit_test.hpp>

#include "pipelines/sync/guards.hpp"

using namespace backflow;

namespace {

state::diff_tally tally(uint64_t stored, uint64_t added, uint64_t changed, uint64_t deleted) {
  state::diff_tally t;
  t.stored_before = stored;
  t.added = added;
  t.changed = changed;
  t.deleted = deleted;
  return t;
}

guards_config guards(std::optional<double> changed, std::optional<double> deleted) {
  guards_config g;
  g.max_changed_ratio = changed;
  g.max_deleted_ratio = deleted;
  return g;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_guards)

BOOST_AUTO_TEST_CASE(a_good_model_has_no_problems) {
  BOOST_TEST(bad_model_problems(tally(10, 1, 1, 1), {"email"}).empty());
}

BOOST_AUTO_TEST_CASE(null_keys_name_the_key_and_rows) {
  state::diff_tally t;
  t.null_keys = 3;
  t.null_key_rows = {2, 5, 9};
  BOOST_TEST(bad_model_problems(t, {"email"}) ==
             std::vector<std::string>(
                 {"3 row(s) have a null or empty key (email); row numbers: 2, 5, 9"}));
  t.null_keys = 12;
  t.null_key_rows = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  BOOST_TEST(
      bad_model_problems(t, {"id", "region"}) ==
      std::vector<std::string>({"12 row(s) have a null or empty key (id, region); row numbers: "
                                "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ..."}));
}

BOOST_AUTO_TEST_CASE(duplicates_quote_the_keys) {
  state::diff_tally t;
  t.duplicate_keys = 2;
  t.duplicate_samples = {"a@x.com", "EU|7"};
  t.null_keys = 1;
  t.null_key_rows = {4};
  auto problems = bad_model_problems(t, {"id", "region"});
  BOOST_TEST(problems == std::vector<std::string>(
                             {"1 row(s) have a null or empty key (id, region); row numbers: 4",
                              "2 row(s) repeat a key (id, region): \"a@x.com\", \"EU|7\""}));
  t.duplicate_keys = 11;
  BOOST_TEST(bad_model_problems(t, {"id"})[1] ==
             "11 row(s) repeat a key (id): \"a@x.com\", \"EU|7\", ...");
}

BOOST_AUTO_TEST_CASE(ratios_are_taken_against_rows_synced_before) {
  auto g = guards(0.25, 0.05);
  BOOST_TEST(tripped_guards(g, tally(100, 10, 15, 5)).empty());  // exactly at both limits
  auto both = tripped_guards(g, tally(100, 10, 20, 6));
  BOOST_TEST(both ==
             std::vector<std::string>(
                 {"guards.max_changed_ratio: 30 rows added or changed of 100 synced (30.0%) "
                  "exceeds 25.0%",
                  "guards.max_deleted_ratio: 6 rows disappeared of 100 synced (6.0%) "
                  "exceeds 5.0%"}));
  auto deletes_only = tripped_guards(g, tally(1000, 0, 0, 51));
  BOOST_REQUIRE_EQUAL(deletes_only.size(), 1u);
  BOOST_TEST(deletes_only[0].rfind("guards.max_deleted_ratio: 51 rows disappeared of 1000", 0) ==
             0);
}

BOOST_AUTO_TEST_CASE(a_first_run_never_trips) {
  BOOST_TEST(tripped_guards(guards(0.0, 0.0), tally(0, 1000000, 0, 0)).empty());
}

BOOST_AUTO_TEST_CASE(unset_guards_never_trip) {
  BOOST_TEST(tripped_guards(guards(std::nullopt, std::nullopt), tally(10, 10, 10, 10)).empty());
  auto only_deletes = tripped_guards(guards(std::nullopt, 0.0), tally(10, 10, 10, 1));
  BOOST_REQUIRE_EQUAL(only_deletes.size(), 1u);
  BOOST_TEST(only_deletes[0].rfind("guards.max_deleted_ratio", 0) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
