// What `verify` reads from and writes to a real LMDB state: synced versions, and resend marks
// that make the next plan send exactly the drifted keys again.
#include <boost/test/unit_test.hpp>

#include "state/drift_marks.hpp"
#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;

BOOST_FIXTURE_TEST_SUITE(drift_marks, state_fixture)

BOOST_AUTO_TEST_CASE(synced_versions_tell_synced_pending_and_rejected_keys_apart) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  settle_one("a", state::settlement::delivered, "id-a");
  settle_one("b", state::settlement::rejected, "", "INVALID");
  // c stays pending (an interrupted run).
  auto v = state::synced_versions(st, {"a", "b", "c", "never"});
  BOOST_REQUIRE(v.size() == 4u);
  BOOST_TEST(v[0].synced);
  BOOST_TEST((v[0].hash == value_hash("1")));
  BOOST_TEST(v[0].dest_id == "id-a");
  BOOST_TEST(!v[0].pending);
  BOOST_TEST(!v[1].synced);
  BOOST_TEST(v[1].rejected);
  BOOST_TEST(v[2].pending);
  BOOST_TEST(!v[3].synced);
  BOOST_TEST(!v[3].pending);
}

BOOST_AUTO_TEST_CASE(marked_keys_and_only_they_are_planned_again_with_their_ids) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  settle_all(state::settlement::delivered);
  // b's hash moved since it was verified (a run in between): it is not marked.
  auto marked = state::mark_for_resend(st, {"a", "b", "gone"},
                                       {value_hash("1"), value_hash("other"), value_hash("1")});
  BOOST_TEST(marked == 1u);
  BOOST_TEST((key("a")->hash == hash128{}));
  BOOST_TEST(key("a")->dest_id == "id-a");  // kept: the resend updates the same record
  BOOST_TEST((key("b")->hash == value_hash("2")));
  // Marking again finds nothing to mark: the zero hash is not the one verified.
  BOOST_TEST(state::mark_for_resend(st, {"a"}, {value_hash("1")}) == 0u);
  // The unchanged model: exactly the marked key is planned, as a change carrying its id.
  auto tally = plan(kv_rows({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  BOOST_TEST(tally.changed == 1u);
  BOOST_TEST(tally.unchanged == 2u);
  auto pending = changes();
  BOOST_REQUIRE(pending.size() == 1u);
  BOOST_TEST(pending.begin()->first == "a");
  BOOST_TEST(pending.begin()->second.dest_id == "id-a");
  BOOST_TEST((pending.begin()->second.hash == value_hash("1")));
}

BOOST_AUTO_TEST_SUITE_END()
