// Audiences: members are their identities, which rows may share. A member is removed only when
// no row of the model holds its identity after the run; a row whose identity moved has its old
// one removed first (issue 10, defect 2, and a key change found by the oracle).
#include <boost/test/unit_test.hpp>

#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;

namespace {

/// The identity of a (key, value) row is its value, as an audience member's identifiers are.
identity_function value_identity() {
  return [](std::string_view payload) -> std::optional<std::string> {
    auto cells = decode_row(payload);
    return cells.empty() ? std::string() : std::string(cells[0].text);
  };
}

struct audience_fixture : state_fixture {
  audience_fixture() { st.tracks_identities = true; }

  diff_tally plan_members(const packed_rows& rows) {
    diff_options audience{true, true, true};
    return plan_rows(st, {rows}, 7, 1, audience, value_identity());
  }
  /// Settles every pending change as the audience's two passes would, all delivered; the
  /// identity a delivered add gets is the row's value.
  void deliver_all() {
    std::vector<settled_record> records;
    for (const auto& [key, rec] : changes()) {
      bool removes = rec.kind == change_kind::deleted;
      auto identity = removes ? std::string() : decode_row(rec.payload).at(0).text;
      if (rec.identity_moved)
        settle({{key, change_kind::changed, rec.hash, settlement::retired, {}, {}}});
      records.push_back({key, rec.kind, rec.hash, settlement::delivered, std::string(identity), {}});
    }
    settle(records);
  }
  uint64_t holders(const std::string& identity) {
    uint64_t n = 0;
    env->read([&](transaction& txn) { n = st.identity_holders(txn, identity); });
    return n;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(audience_identities, audience_fixture)

BOOST_AUTO_TEST_CASE(a_shared_identity_stays_while_another_row_holds_it) {
  plan_members(kv_rows({{"k1", "ann"}, {"k2", "ann"}, {"k3", "bob"}}));
  deliver_all();
  BOOST_TEST(holders("ann") == 2u);
  plan_members(kv_rows({{"k2", "ann"}, {"k3", "bob"}}));  // k1 leaves; k2 still holds ann
  auto ch = changes();
  BOOST_REQUIRE(ch.count("k1") == 1u);
  BOOST_TEST(ch["k1"].keep_identity);
  deliver_all();
  BOOST_TEST(holders("ann") == 1u);
  plan_members(kv_rows({{"k3", "bob"}}));  // now the last holder leaves: removed for real
  BOOST_TEST(!changes()["k2"].keep_identity);
}

BOOST_AUTO_TEST_CASE(a_key_change_keeps_the_member) {
  // The same person under a new key: removing the old key's member and adding the new one's
  // could reorder (a late removal after the add); the member simply stays.
  plan_members(kv_rows({{"cust-1", "ann"}}));
  deliver_all();
  plan_members(kv_rows({{"cust-9", "ann"}}));
  auto ch = changes();
  BOOST_TEST(ch["cust-1"].keep_identity);
  BOOST_TEST((ch["cust-9"].kind == change_kind::added));
}

BOOST_AUTO_TEST_CASE(a_moved_identity_is_removed_unless_another_row_takes_it) {
  plan_members(kv_rows({{"k1", "ann"}, {"k2", "bob"}}));
  deliver_all();
  // k1 moves to carl (ann goes), k2 swaps to ann... and back: ann is still held after the run.
  plan_members(kv_rows({{"k1", "carl"}, {"k2", "ann"}}));
  auto ch = changes();
  BOOST_TEST(ch["k1"].identity_moved);
  BOOST_TEST(ch["k1"].keep_identity);   // ann: taken by k2
  BOOST_TEST(ch["k2"].identity_moved);
  BOOST_TEST(!ch["k2"].keep_identity);  // bob: nobody holds it after the run
  deliver_all();
  BOOST_TEST(holders("ann") == 1u);
  BOOST_TEST(holders("bob") == 0u);
  BOOST_TEST(holders("carl") == 1u);
}

BOOST_AUTO_TEST_CASE(counts_are_rebuilt_for_a_state_that_had_none) {
  st.tracks_identities = false;  // as before identities were counted
  plan_members(kv_rows({{"k1", "ann"}, {"k2", "ann"}}));
  deliver_all();
  BOOST_TEST(holders("ann") == 0u);
  st.tracks_identities = true;
  plan_members(kv_rows({{"k2", "ann"}}));
  BOOST_TEST(holders("ann") == 2u);  // counted again from the synced keys
  BOOST_TEST(changes()["k1"].keep_identity);
}

BOOST_AUTO_TEST_SUITE_END()
