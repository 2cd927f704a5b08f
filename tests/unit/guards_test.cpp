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

// -- the model against the previous accepted plan -----------------------------------------

namespace {

state::model_profile previous(uint64_t rows, uint8_t score_kinds) {
  state::model_profile p;
  p.run_id = 7;
  p.rows = rows;
  p.columns = {{"email", kind_text}, {"score", score_kinds}};
  return p;
}

state::diff_tally extracted(uint64_t n) {
  state::diff_tally t;
  t.extracted = n;
  return t;
}

value_findings kinds(uint8_t email, uint8_t score) {
  value_findings v;
  v.kinds = {email, score};
  return v;
}

const std::vector<std::string> columns = {"email", "score"};

}  // namespace

BOOST_AUTO_TEST_CASE(an_empty_model_after_a_full_one_is_stopped_unless_allowed) {
  guards_config g;
  auto p = model_problems(g, extracted(0), kinds(0, 0), columns, previous(500, kind_number));
  BOOST_REQUIRE_EQUAL(p.size(), 1u);
  BOOST_TEST(p[0].find("the model returned no rows, after 500 in run 7") == 0u);
  g.min_rows = 0;
  BOOST_TEST(model_problems(g, extracted(0), kinds(0, 0), columns, previous(500, kind_number)).empty());
  // A first run has nothing to compare with.
  BOOST_TEST(model_problems(guards_config{}, extracted(0), kinds(0, 0), columns, std::nullopt).empty());
}

BOOST_AUTO_TEST_CASE(min_rows_and_the_drop_ratio) {
  guards_config g;
  g.min_rows = 100;
  g.max_row_drop_ratio = 0.1;
  auto p = model_problems(g, extracted(80), kinds(kind_text, kind_number), columns,
                          previous(100, kind_number));
  BOOST_REQUIRE_EQUAL(p.size(), 2u);
  BOOST_TEST(p[0] == "guards.min_rows: the model returned 80 rows, fewer than 100");
  BOOST_TEST(p[1] == "guards.max_row_drop_ratio: the model returned 80 rows, 100 in run 7 (20.0% "
                     "fewer) exceeds 10.0%");
  g.min_rows.reset();
  BOOST_TEST(model_problems(g, extracted(91), kinds(kind_text, kind_number), columns,
                            previous(100, kind_number)).empty());
  BOOST_TEST(model_problems(g, extracted(500), kinds(kind_text, kind_number), columns,
                            previous(100, kind_number)).empty());  // growth is fine
}

BOOST_AUTO_TEST_CASE(a_new_kind_of_value_in_a_column_is_a_type_change) {
  auto p = model_problems(guards_config{}, extracted(10), kinds(kind_text, kind_number | kind_text),
                          columns, previous(10, kind_number));
  BOOST_REQUIRE_EQUAL(p.size(), 1u);
  BOOST_TEST(p[0] == "column \"score\" changed type: it held number in run 7, now also text");
  // Fewer kinds, or a column that held only nulls before, is not a change of type.
  BOOST_TEST(model_problems(guards_config{}, extracted(10), kinds(kind_text, 0), columns,
                            previous(10, kind_number)).empty());
  BOOST_TEST(model_problems(guards_config{}, extracted(10), kinds(kind_text, kind_text), columns,
                            previous(10, 0)).empty());
}

BOOST_AUTO_TEST_CASE(bad_values_are_listed_with_their_samples) {
  auto v = kinds(kind_text, kind_number);
  v.bad_values = 12;
  v.samples = {"row email=\"a\", column score: NaN is not a number a destination accepts"};
  auto p = model_problems(guards_config{}, extracted(10), v, columns, std::nullopt);
  BOOST_REQUIRE_EQUAL(p.size(), 1u);
  BOOST_TEST(p[0] == "12 value(s) no destination should receive:\n  row email=\"a\", column score: "
                     "NaN is not a number a destination accepts\n  ...");
}

BOOST_AUTO_TEST_CASE(a_column_the_sync_still_needs_that_the_model_lost_has_vanished) {
  sync_config cfg;
  cfg.key_columns = {"email"};
  cfg.mapping_given = true;
  mapping_rule score;
  score.from = score.to = "score";
  cfg.mapping = {score};
  schema model = {{"email", column_kind::text}, {"tier", column_kind::text}};
  auto p = vanished_columns(cfg, model, previous(10, kind_number));
  BOOST_REQUIRE_EQUAL(p.size(), 1u);
  BOOST_TEST(p[0] == "column \"score\" vanished from the model: run 7 read it, the query no longer "
                     "returns it");
  cfg.mapping.clear();  // no longer sent: its absence is fine
  BOOST_TEST(vanished_columns(cfg, model, previous(10, kind_number)).empty());
  BOOST_TEST(vanished_columns(cfg, model, std::nullopt).empty());
}

BOOST_AUTO_TEST_CASE(the_profile_of_a_plan_keeps_rows_and_kinds) {
  auto p = profile_of(9, extracted(42), kinds(kind_text, kind_number), columns);
  BOOST_TEST(p.run_id == 9u);
  BOOST_TEST(p.rows == 42u);
  BOOST_REQUIRE(p.find("score") != nullptr);
  BOOST_TEST(p.find("score")->kinds == kind_number);
  BOOST_TEST(p.find("tier") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
