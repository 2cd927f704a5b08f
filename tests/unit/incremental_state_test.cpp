// Incremental reads in the state: the key scan keeps keys from being deleted, reads without one
// plan no delete, and the cursor mark advances only with the commit of its change set.
#include <boost/test/unit_test.hpp>

#include "state/cursor_mark.hpp"
#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;

namespace {

const std::vector<std::pair<std::string, std::string>> four_rows = {
    {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}};

packed_rows scanned_keys(const std::vector<std::string>& keys) {
  packed_rows out;
  for (const auto& k : keys)
    out.push_back(k);
  return out;
}

cursor_mark pending_mark_of(uint64_t run_id, const std::string& value) {
  cursor_mark m;
  m.cursor = "updated_at";
  m.read_digest = "d";
  m.kind = "timestamp";
  m.value = value;
  m.run_id = run_id;
  return m;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(incremental_state, state_fixture)

BOOST_AUTO_TEST_CASE(a_window_with_a_key_scan_deletes_only_keys_the_scan_missed) {
  plan(kv_rows(four_rows));
  settle_all(settlement::delivered);
  // The window holds b (changed); the scan finds a, b and d: c left the model.
  change_set_builder b(st, st.new_run_id(), 7);
  auto planner = planner_for(2, 1, 7);
  planned_rows planned;
  auto window = kv_rows({{"b", "two"}});
  planner.plan(window[0], planned);
  b.add(planned);
  b.mark_present(scanned_keys({"a", "b", "d", "zz-never-synced"}));
  b.finish();
  auto t = b.tally();
  BOOST_TEST(t.extracted == 1u);
  BOOST_TEST(t.key_scanned == 4u);
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.deleted_samples == std::vector<std::string>({"c"}));
  auto ch = changes();
  BOOST_TEST(ch.size() == 2u);
  BOOST_TEST((ch["c"].kind == change_kind::deleted));
  BOOST_TEST(ch.count("zz-never-synced") == 0u);  // the scan never adds
}

BOOST_AUTO_TEST_CASE(a_count_that_adds_up_proves_no_synced_key_is_gone) {
  plan(kv_rows(four_rows));
  settle_all(settlement::delivered);
  auto window_of = [&](const std::vector<std::pair<std::string, std::string>>& rows) {
    auto b = std::make_unique<change_set_builder>(st, st.new_run_id(), 7);
    auto planner = planner_for(2, 1, 7);
    planned_rows planned;
    auto packed = kv_rows(rows);
    for (size_t i = 0; i < packed.size(); ++i)
      planner.plan(packed[i], planned);
    b->add(planned);
    return b;
  };
  // The window: b (synced) and e (new). 5 rows = 4 synced + 1 new: nothing gone.
  BOOST_TEST(window_of({{"b", "two"}, {"e", "5"}})->holds_every_synced_key(5));
  BOOST_TEST(window_of({{"b", "two"}, {"e", "5"}})->tally().key_scanned == 0u);
  auto kept = window_of({{"b", "two"}, {"e", "5"}});
  BOOST_TEST(kept->holds_every_synced_key(5));
  BOOST_TEST(kept->tally().key_scanned == 5u);  // the model's rows, for the guards
  kept->finish();
  BOOST_TEST(kept->tally().deleted == 0u);  // a, c and d are outside the window, not gone
  // 4 rows: one synced key must be gone (c left, e came): the scan has to find which.
  BOOST_TEST(!window_of({{"b", "two"}, {"e", "5"}})->holds_every_synced_key(4));
  BOOST_TEST(!window_of({{"b", "two"}})->holds_every_synced_key(5));  // a row unaccounted for
}

BOOST_AUTO_TEST_CASE(a_window_without_a_key_scan_plans_no_delete) {
  plan(kv_rows(four_rows));
  settle_all(settlement::delivered);
  diff_options options;
  options.plan_deletes = false;
  auto t = plan(kv_rows({{"b", "two"}}), 7, 1, options);
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.deleted == 0u);
  BOOST_TEST(changes().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_key_scan_keeps_the_reject_of_a_row_never_synced) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_one("a", settlement::delivered, "id-a");
  settle_one("b", settlement::rejected, {}, "422 bad");
  BOOST_REQUIRE(reject("b").has_value());
  // b is outside the window but still in the model: its reject must survive the plan.
  change_set_builder b(st, st.new_run_id(), 7);
  b.mark_present(scanned_keys({"a", "b"}));
  b.finish();
  BOOST_TEST(b.tally().deleted == 0u);
  BOOST_TEST(reject("b").has_value());
}

BOOST_AUTO_TEST_CASE(the_mark_advances_only_when_its_change_set_is_finished) {
  plan(kv_rows(four_rows));  // run 1 plans
  BOOST_TEST(!load_cursor_mark(st).has_value());
  store_pending_mark(st, pending_mark_of(1, "2026-03-01T10:00:00Z"));
  BOOST_TEST(!load_cursor_mark(st).has_value());  // pending, not the mark
  BOOST_TEST(load_pending_mark(st)->value == "2026-03-01T10:00:00Z");
  st.clear_change_set();  // a stopped plan: nothing promoted
  BOOST_TEST(!load_cursor_mark(st).has_value());

  auto run = st.new_run_id();
  env->write([&](transaction& txn) {
    auto p = st.load_plan(txn);
    p.state = plan_record::status::applying;
    p.run_id = run;
    st.store_plan(txn, p);
  });
  store_pending_mark(st, pending_mark_of(run, "2026-03-01T11:00:00Z"));
  st.finish_change_set();
  BOOST_REQUIRE(load_cursor_mark(st).has_value());
  BOOST_TEST(load_cursor_mark(st)->value == "2026-03-01T11:00:00Z");
  BOOST_TEST(!load_pending_mark(st).has_value());

  // A pending mark of another run (a plan that never reached apply) is dropped, not promoted.
  store_pending_mark(st, pending_mark_of(run + 5, "2030-01-01T00:00:00Z"));
  st.finish_change_set();
  BOOST_TEST(load_cursor_mark(st)->value == "2026-03-01T11:00:00Z");

  st.reset();  // a full resync starts without a mark
  BOOST_TEST(!load_cursor_mark(st).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
