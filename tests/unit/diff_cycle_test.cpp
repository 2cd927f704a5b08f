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
  BOOST_TEST((ch["b"].kind == change_kind::added));
  BOOST_TEST(ch["b"].payload == encode_row({txt("2")}));  // what the destination receives
  BOOST_TEST(!ch["b"].mapping_failed);
  BOOST_TEST((ch["b"].hash == value_hash("2")));
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
  BOOST_TEST(ch["b"].payload.empty());
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
  plan(kv_rows({{"a", "1"}, {"c", "3"}}), 7, 1, {true, true});
  settle_all(settlement::delivered);  // mirror mode: the record was removed, the key goes
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

BOOST_AUTO_TEST_CASE(insert_mode_leaves_changed_rows_for_a_later_upsert) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  state::diff_options insert_mode{false, false};
  auto t = plan(kv_rows({{"a", "1"}, {"b", "new"}, {"c", "3"}}), 7, 1, insert_mode);
  BOOST_TEST(t.not_updated == 1u);  // the destination keeps its version of b
  BOOST_TEST(t.changed == 0u);
  BOOST_TEST(changes().empty());
  // Switched to upsert: b is still different from what the destination holds, so it goes.
  auto upsert = plan(kv_rows({{"a", "1"}, {"b", "new"}, {"c", "3"}}));
  BOOST_TEST(upsert.changed == 1u);
  BOOST_TEST(upsert.changed_samples == std::vector<std::string>({"b"}));
}

BOOST_AUTO_TEST_CASE(rows_left_behind_by_upsert_are_removed_by_mirror) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  // Upsert mode: b leaves the model, its record stays at the destination (an orphan).
  auto t = plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  BOOST_TEST(t.deleted == 1u);
  settle_all(settlement::forgotten);
  BOOST_TEST(key("b")->orphan);
  BOOST_TEST(st.count().orphans == 1u);
  // Later upsert runs do not plan it again...
  auto again = plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  BOOST_TEST(again.deleted == 0u);
  BOOST_TEST(again.stored_before == 2u);  // the guards' base: rows the model had
  // ...but a mirror run removes it: the destination then equals the model.
  auto mirror = plan(kv_rows({{"a", "1"}, {"c", "3"}}), 7, 1, {true, true});
  BOOST_TEST(mirror.deleted == 1u);
  BOOST_TEST(changes().at("b").dest_id == "id-b");
  settle_all(settlement::delivered);
  BOOST_TEST(!key("b").has_value());
  BOOST_TEST(st.count().orphans == 0u);
}

BOOST_AUTO_TEST_CASE(an_orphan_whose_row_returns_is_synced_again) {
  plan(kv_rows(abc));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}, {"c", "3"}}));
  settle_all(settlement::forgotten);
  // b is back with the values the destination still holds: nothing to send.
  auto t = plan(kv_rows(abc));
  BOOST_TEST(t.unchanged == 3u);
  BOOST_TEST(!key("b")->orphan);
  BOOST_TEST(st.count().orphans == 0u);
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
  sync_state other(sd, "companies");
  auto t = plan_rows(other, {kv_rows(abc)}, 7, 1);
  BOOST_TEST(t.added == 3u);
  BOOST_TEST(t.stored_before == 0u);
  BOOST_TEST(st.count().keys == 3u);
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
  p.fields = {"email", "score"};
  p.counts = {{"added", 3}};
  env->write([&](transaction& txn) { st.store_plan(txn, p); });
  auto back = st.load_plan();
  BOOST_TEST((back.state == plan_record::status::applying));
  BOOST_TEST(back.run_id == 9u);
  BOOST_TEST(back.fingerprint == 0xffffffffffffffffULL);
  BOOST_TEST(back.config_fingerprint == 5u);
  BOOST_TEST(back.fields == p.fields);
  BOOST_TEST(back.counts == p.counts);
  env->write([&](transaction& txn) {
    st.set_committed_fingerprint(txn, 1234567);
    BOOST_TEST(st.committed_fingerprint(txn) == 1234567u);
  });
}

BOOST_AUTO_TEST_CASE(state_survives_reopening_the_environment) {
  temp_dir d;
  {
    sync_state s(*state_dir::open(d.path()), "persist");
    plan_rows(s, {kv_rows(abc)}, 7, 1);
  }
  sync_state s(*state_dir::open(d.path()), "persist");
  BOOST_TEST(s.count().changes == 3u);
  BOOST_TEST(s.load_plan().run_id == 1u);
  BOOST_TEST(s.new_run_id() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
