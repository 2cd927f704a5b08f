// Bounded run history: prune_runs keeps the newest N run summaries of a sync and no others.
#include <boost/test/unit_test.hpp>

#include "state/sync_state.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow::state;
using backflow::testing::temp_dir;

BOOST_AUTO_TEST_SUITE(run_history)

BOOST_AUTO_TEST_CASE(prune_keeps_the_newest_runs) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sync_state st(sd, "contacts");
  sync_state other(sd, "deals");
  for (uint64_t id = 1; id <= 300; ++id)  // past 255: ids must sort numerically, not by byte
    st.store_run(id, {{"run_id", id}});
  other.store_run(1, {{"run_id", 1}});

  BOOST_TEST(st.prune_runs(5) == 295u);
  auto runs = st.recent_runs(100);
  BOOST_REQUIRE_EQUAL(runs.size(), 5u);
  BOOST_TEST(runs.front()["run_id"] == 300);
  BOOST_TEST(runs.back()["run_id"] == 296);
  BOOST_TEST(other.recent_runs(10).size() == 1u);  // another sync's history is untouched
}

BOOST_AUTO_TEST_CASE(prune_below_the_limit_removes_nothing) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sync_state st(sd, "contacts");
  st.store_run(1, {{"run_id", 1}});
  BOOST_TEST(st.prune_runs(100) == 0u);
  BOOST_TEST(st.prune_runs(0) == 1u);
  BOOST_TEST(st.recent_runs(10).empty());
}

BOOST_AUTO_TEST_SUITE_END()
