// Full plan → settle cycles against a real LMDB: adds, unchanged, changes, deletes, slots, runs.
#include <boost/test/unit_test.hpp>

#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;
using backflow::testing::temp_dir;

namespace {

const std::vector<std::pair<std::string, std::string>> abc = {{"a", "1"}, {"b", "2"}, {"c", "3"}};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(diff_cycle, state_fixture)

BOOST_AUTO_TEST_CASE(first_plan_adds_everything) {
  auto t = plan(kv_rows(abc));
  BOOST_TEST(t.extracted == 3u);
  BOOST_TEST(t.added == 3u);
  BOOST_TEST(t.changed + t.deleted + t.unchanged + t.unchanged_rejected == 0u);
  BOOST_TEST(t.stored_before == 0u);
  BOOST_TEST(!t.bad_model());
  BOOST_TEST(t.added_samples == std::vector<std::string>({"a", "b", "c"}));
  auto ch = changes();
  BOOST_REQUIRE_EQUAL(ch.size(), 3u);
  const auto only_b = kv_rows({{"b", "2"}});
  const std::string row_b(only_b[0]);
  BOOST_TEST((ch["b"].kind == change_kind::added));
  BOOST_TEST(ch["b"].row == row_b);
  BOOST_TEST((ch["b"].hash == hash_row(row_b, 7)));
  BOOST_TEST(ch["b"].dest_id.empty());
  auto p = st.load_plan();
  BOOST_TEST((p.state == plan_record::status::planning));
  BOOST_TEST(p.run_id == 1u);
  BOOST_TEST(p.fingerprint == 7u);
}

BOOST_AUTO_TEST_CASE(settled_rows_are_unchanged_next_time) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  BOOST_TEST(st.count().keys == 3u);
  BOOST_TEST(st.count().changes == 0u);
  BOOST_TEST(key("b")->dest_id == "id-b");
  auto t = plan(kv_rows(abc));
  BOOST_TEST(t.unchanged == 3u);
  BOOST_TEST(t.added + t.changed + t.deleted == 0u);
  BOOST_TEST(t.stored_before == 3u);
  BOOST_TEST(st.count().changes == 0u);
}

BOOST_AUTO_TEST_CASE(one_changed_row_is_exactly_one_change) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  auto t = plan(kv_rows({{"a", "1"}, {"b", "two"}, {"c", "3"}}));
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.unchanged == 2u);
  BOOST_TEST(t.added + t.deleted == 0u);
  BOOST_TEST(t.changed_samples == std::vector<std::string>({"b"}));
  auto ch = changes();
  BOOST_REQUIRE_EQUAL(ch.size(), 1u);
  BOOST_TEST((ch["b"].kind == change_kind::changed));
  BOOST_TEST(ch["b"].dest_id == "id-b");  // the id from the earlier delivery travels along
  // Delivered without an id this time: the stored id is kept.
  settle_one("b", settlement::delivered);
  BOOST_TEST(key("b")->dest_id == "id-b");
  BOOST_TEST(plan(kv_rows({{"a", "1"}, {"b", "two"}, {"c", "3"}})).unchanged == 3u);
}

BOOST_AUTO_TEST_CASE(a_dropped_row_is_exactly_one_delete_with_its_dest_id) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  auto t = plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.unchanged == 2u);
  BOOST_TEST(t.added + t.changed == 0u);
  BOOST_TEST(t.deleted_samples == std::vector<std::string>({"b"}));
  auto ch = changes();
  BOOST_REQUIRE_EQUAL(ch.size(), 1u);
  BOOST_TEST((ch["b"].kind == change_kind::deleted));
  BOOST_TEST(ch["b"].dest_id == "id-b");
  BOOST_TEST(ch["b"].row.empty());
  settle_all(settlement::delivered);
  BOOST_TEST(st.count().keys == 2u);
  BOOST_TEST(!key("b").has_value());
  BOOST_TEST(plan(kv_rows({{"a", "1"}, {"c", "3"}})).deleted == 0u);
}

BOOST_AUTO_TEST_CASE(freed_slots_are_reused) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  auto slot_b = key("b")->slot;
  BOOST_TEST(key("a")->slot != slot_b);
  plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  settle_all(settlement::forgotten);  // upsert mode: a delete is not sent, the key is dropped
  BOOST_TEST(!key("b").has_value());
  BOOST_TEST(free_slots() == 1u);
  plan(kv_rows({{"a", "1"}, {"c", "3"}, {"d", "4"}}));
  settle_all(settlement::delivered);
  BOOST_TEST(key("d")->slot == slot_b);
  BOOST_TEST(free_slots() == 0u);
  uint64_t next = 0;
  env->write([&](transaction& txn) { next = st.next_slot(txn); });
  BOOST_TEST(next == 3u);  // no new slot was needed
  // The reused slot does not make d look seen when it is missing.
  auto t = plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.deleted_samples == std::vector<std::string>({"d"}));
}

BOOST_AUTO_TEST_CASE(rows_spread_over_batches_diff_like_one) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  auto t = plan({kv_rows({{"a", "1"}}), kv_rows({}), kv_rows({{"c", "x"}, {"e", "5"}})});
  BOOST_TEST(t.extracted == 3u);
  BOOST_TEST(t.unchanged == 1u);
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.added == 1u);
  BOOST_TEST(t.deleted == 1u);
}

BOOST_AUTO_TEST_CASE(a_new_fingerprint_changes_every_row) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  auto t = plan(kv_rows(abc), 8);
  BOOST_TEST(t.changed == 3u);
  BOOST_TEST(t.unchanged == 0u);
}

BOOST_AUTO_TEST_CASE(skipped_changes_adopt_the_new_hash) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}, {"b", "new"}, {"c", "3"}}));
  settle_all(settlement::skipped);  // insert mode does not resend changes
  BOOST_TEST(key("b")->dest_id == "id-b");
  BOOST_TEST(plan(kv_rows({{"a", "1"}, {"b", "new"}, {"c", "3"}})).unchanged == 3u);
}

BOOST_AUTO_TEST_CASE(a_new_plan_replaces_the_pending_change_set) {
  plan(kv_rows(abc));
  BOOST_TEST(st.count().changes == 3u);
  plan(kv_rows({{"z", "26"}}));
  auto ch = changes();
  BOOST_REQUIRE_EQUAL(ch.size(), 1u);
  BOOST_TEST(ch.count("z") == 1u);
}

BOOST_AUTO_TEST_CASE(syncs_in_one_environment_are_isolated) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  sync_state other(env, "companies");
  change_set_builder b(other, other.new_run_id(), 7, 1);
  b.add(kv_rows(abc));
  b.finish();
  BOOST_TEST(b.tally().added == 3u);
  BOOST_TEST(b.tally().stored_before == 0u);
  BOOST_TEST(other.new_run_id() == 2u);  // its own run counter
}

BOOST_AUTO_TEST_CASE(reset_forgets_keys_but_run_ids_keep_increasing) {
  auto first = st.new_run_id();
  plan(kv_rows(abc));  // run 2
  settle_all(settlement::delivered);
  st.store_run(first, {{"run_id", first}});
  st.store_run(2, {{"run_id", 2}});
  st.reset();
  auto sizes = st.count();
  BOOST_TEST(sizes.keys + sizes.changes + sizes.rejects == 0u);
  BOOST_TEST((st.load_plan().state == plan_record::status::none));
  BOOST_TEST(st.new_run_id() == 3u);
  BOOST_TEST(plan(kv_rows(abc)).added == 3u);   // a full resync
  BOOST_TEST(st.recent_runs(10).size() == 2u);  // history survives
}

BOOST_AUTO_TEST_CASE(run_history_is_newest_first) {
  for (uint64_t id = 1; id <= 300; ++id)  // past 255: ids must sort numerically
    st.store_run(id, {{"run_id", id}, {"status", "success"}});
  auto runs = st.recent_runs(3);
  BOOST_REQUIRE_EQUAL(runs.size(), 3u);
  BOOST_TEST(runs[0]["run_id"] == 300);
  BOOST_TEST(runs[1]["run_id"] == 299);
  BOOST_TEST(runs[2]["run_id"] == 298);
  BOOST_TEST(st.recent_runs(1000).size() == 300u);
}

BOOST_AUTO_TEST_CASE(plan_records_round_trip_through_json) {
  plan_record p;
  p.state = plan_record::status::applying;
  p.run_id = 9;
  p.fingerprint = 0xffffffffffffffffULL;
  p.config_fingerprint = 5;
  p.columns = {"email", "score"};
  p.counts = {{"added", 3}};
  env->write([&](transaction& txn) { st.store_plan(txn, p); });
  auto back = st.load_plan();
  BOOST_TEST((back.state == plan_record::status::applying));
  BOOST_TEST(back.run_id == 9u);
  BOOST_TEST(back.fingerprint == 0xffffffffffffffffULL);
  BOOST_TEST(back.config_fingerprint == 5u);
  BOOST_TEST(back.columns == p.columns);
  BOOST_TEST(back.counts == p.counts);
  env->write([&](transaction& txn) {
    st.set_committed_fingerprint(txn, 1234567);
    BOOST_TEST(st.committed_fingerprint(txn) == 1234567u);
  });
}

BOOST_AUTO_TEST_CASE(state_survives_reopening_the_environment) {
  temp_dir d;
  {
    auto e = environment::open(d.path());
    sync_state s(e, "persist");
    change_set_builder b(s, s.new_run_id(), 7, 1);
    b.add(kv_rows(abc));
    b.finish();
  }
  auto e = environment::open(d.path());
  sync_state s(e, "persist");
  BOOST_TEST(s.count().changes == 3u);
  BOOST_TEST(s.load_plan().run_id == 1u);
  BOOST_TEST(s.new_run_id() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
