// Bad keys and rejected records in the diff: null keys, duplicates of every kind, reject memory.
#include <boost/test/unit_test.hpp>

#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;

BOOST_FIXTURE_TEST_SUITE(diff_keys, state_fixture)

BOOST_AUTO_TEST_CASE(null_keys_are_counted_with_row_numbers) {
  packed_rows rows;
  rows.push_back(encode_row({txt("a"), txt("1")}));
  rows.push_back(encode_row({null(), txt("2")}));
  rows.push_back(encode_row({txt(""), txt("3")}));
  rows.push_back(encode_row({txt("b"), txt("4")}));
  rows.push_back(encode_row({txt("  "), txt("5")}));
  auto t = plan(rows);
  BOOST_TEST(t.extracted == 5u);
  BOOST_TEST(t.null_keys == 3u);
  BOOST_TEST(t.null_key_rows == std::vector<uint64_t>({2, 3, 5}));
  BOOST_TEST(t.added == 2u);
  BOOST_TEST(t.bad_model());
}

BOOST_AUTO_TEST_CASE(null_key_samples_stop_at_ten_and_count_across_batches) {
  packed_rows first;
  first.push_back(encode_row({txt("ok"), txt("x")}));
  for (int i = 0; i < 6; ++i)
    first.push_back(encode_row({null(), txt("x")}));
  packed_rows second;
  for (int i = 0; i < 9; ++i)
    second.push_back(encode_row({null(), txt("x")}));
  auto t = plan({first, second});
  BOOST_TEST(t.null_keys == 15u);
  BOOST_TEST(t.null_key_rows == std::vector<uint64_t>({2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

BOOST_AUTO_TEST_CASE(duplicate_new_keys_are_detected) {
  auto t = plan(kv_rows({{"a", "1"}, {"b", "2"}, {"a", "1"}, {"a", "other"}}));
  BOOST_TEST(t.duplicate_keys == 2u);
  BOOST_TEST(t.duplicate_samples == std::vector<std::string>({"a", "a"}));
  BOOST_TEST(t.added == 2u);
  BOOST_TEST(t.bad_model());
}

BOOST_AUTO_TEST_CASE(keys_equal_after_canonicalisation_are_duplicates) {
  auto t = plan(kv_rows({{"Ann@X.com", "1"}, {" ann@x.com ", "1"}}));
  BOOST_TEST(t.duplicate_keys == 1u);
  BOOST_TEST(t.duplicate_samples == std::vector<std::string>({"ann@x.com"}));
}

BOOST_AUTO_TEST_CASE(duplicate_synced_keys_are_detected_changed_or_not) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_all(settlement::delivered);
  auto unchanged = plan(kv_rows({{"a", "1"}, {"a", "1"}, {"b", "2"}}));
  BOOST_TEST(unchanged.duplicate_keys == 1u);
  BOOST_TEST(unchanged.unchanged == 2u);
  auto changed = plan(kv_rows({{"a", "9"}, {"b", "2"}, {"a", "9"}}));
  BOOST_TEST(changed.duplicate_keys == 1u);
  BOOST_TEST(changed.changed == 1u);
  BOOST_TEST(changed.duplicate_samples == std::vector<std::string>({"a"}));
  // A duplicate is not mistaken for a delete of the other copy.
  BOOST_TEST(changed.deleted == 0u);
}

BOOST_AUTO_TEST_CASE(composite_duplicates_are_shown_with_bars) {
  packed_rows rows;
  rows.push_back(encode_row({txt("EU"), num(7), txt("x")}));
  rows.push_back(encode_row({txt("EU"), num(7), txt("y")}));
  auto t = plan(std::vector<packed_rows>{rows}, 7, 2);
  BOOST_TEST(t.duplicate_samples == std::vector<std::string>({"EU|7"}));
  BOOST_TEST(changes().count("EU|7") == 1u);
}

BOOST_AUTO_TEST_CASE(separators_inside_composite_parts_never_merge_two_keys) {
  // ('x|y','z') and ('x','y|z') were one destination record when parts were joined with '|'.
  packed_rows rows;
  rows.push_back(encode_row({txt("x|y"), txt("z"), txt("first")}));
  rows.push_back(encode_row({txt("x"), txt("y|z"), txt("second")}));
  rows.push_back(encode_row({txt("a\\"), txt("b"), txt("third")}));
  rows.push_back(encode_row({txt("a"), txt("\\b"), txt("fourth")}));
  auto t = plan(std::vector<packed_rows>{rows}, 7, 2);
  BOOST_TEST(t.duplicate_keys == 0u);
  BOOST_TEST(t.added == 4u);
  auto ch = changes();
  BOOST_TEST(ch.count("x\\|y|z") == 1u);
  BOOST_TEST(ch.count("x|y\\|z") == 1u);
  BOOST_TEST(ch.count("a\\\\|b") == 1u);
  BOOST_TEST(ch.count("a|\\\\b") == 1u);
  // A mirror delete of one removes that one only.
  settle_all(state::settlement::delivered);
  packed_rows left;
  left.push_back(encode_row({txt("x"), txt("y|z"), txt("second")}));
  left.push_back(encode_row({txt("a\\"), txt("b"), txt("third")}));
  left.push_back(encode_row({txt("a"), txt("\\b"), txt("fourth")}));
  auto after = plan(std::vector<packed_rows>{left}, 7, 2, {true, true});
  BOOST_TEST(after.deleted == 1u);
  BOOST_TEST(after.deleted_samples == std::vector<std::string>({"x\\|y|z"}));
}

BOOST_AUTO_TEST_CASE(keys_longer_than_lmdb_allows_are_synced_whole) {
  // LMDB keys hold 511 bytes: a longer key stalled every run with MDB_BAD_VALSIZE.
  std::string long_a(600, 'a');
  std::string long_b = long_a + "b";  // same first 600 bytes, one more
  std::string huge(20000, 'z');
  auto rows = kv_rows({{long_a, "1"}, {long_b, "2"}, {huge, "3"}});
  auto t = plan(rows);
  BOOST_TEST(t.added == 3u);
  BOOST_TEST(t.duplicate_keys == 0u);
  auto ch = changes();
  BOOST_TEST(ch.count(long_a) == 1u);  // the whole key comes back, not its stored form
  BOOST_TEST(ch.count(huge) == 1u);
  settle_all(state::settlement::delivered);
  BOOST_TEST(key(long_b)->dest_id == "id-" + long_b);
  BOOST_TEST(plan(rows).unchanged == 3u);
  auto gone = plan(kv_rows({{long_a, "1"}, {huge, "3"}}), 7, 1, {true, true});
  BOOST_TEST(gone.deleted_samples == std::vector<std::string>({long_b}));
  settle_all(state::settlement::rejected, "refused");
  BOOST_TEST(st.list_rejects(10).at(0).key == long_b);
}

BOOST_AUTO_TEST_CASE(a_rejected_row_is_not_replanned_until_it_changes) {
  plan(kv_rows({{"a", "1"}, {"b", "bad"}}));
  settle_one("a", settlement::delivered, "id-a");
  settle_one("b", settlement::rejected, "", "INVALID_EMAIL");
  BOOST_TEST(st.count().keys == 1u);
  BOOST_TEST(st.count().rejects == 1u);
  auto rejects = st.list_rejects(10);
  BOOST_REQUIRE_EQUAL(rejects.size(), 1u);
  BOOST_TEST(rejects[0].key == "b");
  BOOST_TEST(rejects[0].record.reason == "INVALID_EMAIL");
  BOOST_TEST(rejects[0].record.attempts == 1u);

  auto same = plan(kv_rows({{"a", "1"}, {"b", "bad"}}));
  BOOST_TEST(same.unchanged == 1u);
  BOOST_TEST(same.unchanged_rejected == 1u);
  BOOST_TEST(same.added == 0u);
  BOOST_TEST(st.count().changes == 0u);

  auto fixed = plan(kv_rows({{"a", "1"}, {"b", "good"}}));
  BOOST_TEST(fixed.added == 1u);
  BOOST_TEST(fixed.unchanged_rejected == 0u);
  settle_one("b", settlement::rejected, "", "STILL_BAD");
  BOOST_TEST(st.list_rejects(10)[0].record.attempts == 2u);
  BOOST_TEST(st.list_rejects(10)[0].record.reason == "STILL_BAD");
  plan(kv_rows({{"a", "1"}, {"b", "better"}}));
  settle_one("b", settlement::delivered, "id-b");
  BOOST_TEST(st.count().rejects == 0u);  // delivery clears the reject
}

BOOST_AUTO_TEST_CASE(a_rejected_change_of_a_synced_row_waits_for_the_next_change) {
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "2"}}));
  settle_all(settlement::rejected, "nope");
  BOOST_TEST(key("a").has_value());  // still synced with its old hash
  auto again = plan(kv_rows({{"a", "2"}}));
  BOOST_TEST(again.unchanged_rejected == 1u);
  BOOST_TEST(again.changed == 0u);
  BOOST_TEST(plan(kv_rows({{"a", "3"}})).changed == 1u);
}

BOOST_AUTO_TEST_CASE(a_rejected_delete_is_not_replanned) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::rejected, "archive refused");
  BOOST_TEST(st.list_rejects(1)[0].record.deletion);
  auto t = plan(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.deleted == 0u);
  BOOST_TEST(t.unchanged_rejected == 1u);
}

// A refused delete is remembered so it is not resent while the row stays away. When the row
// comes back unchanged, nothing settles it, so the deletion reject stays; when the row leaves
// again, that new disappearance is swallowed as "still rejected" and never sent.
BOOST_AUTO_TEST_CASE(a_row_that_returns_and_leaves_again_is_deleted_again) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::rejected, "archive refused");
  BOOST_TEST(plan(kv_rows({{"a", "1"}, {"b", "2"}})).unchanged == 2u);  // b is back, in sync
  BOOST_TEST(st.count().rejects == 0u);  // so it is no longer a rejected record
  auto t = plan(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.deleted == 1u);
}

BOOST_AUTO_TEST_CASE(duplicates_of_a_rejected_new_key_are_detected) {
  plan(kv_rows({{"r", "bad"}}));
  settle_all(settlement::rejected, "bad");
  auto t = plan(kv_rows({{"r", "bad"}, {"r", "bad"}}));
  BOOST_TEST(t.duplicate_keys == 1u);
  BOOST_TEST(t.unchanged_rejected == 1u);
}

// A key repeated with different rows is a duplicate whichever copy matches the rejected hash:
// the rejected-and-unchanged shortcut only remembers keys in seen_unsynced_, and the change-set
// insert only detects keys already in the change set, so each path misses the other's copy.
BOOST_AUTO_TEST_CASE(duplicates_mixing_a_rejected_and_a_new_row_are_detected) {
  plan(kv_rows({{"r", "bad"}}));
  settle_all(settlement::rejected, "bad");
  BOOST_TEST(plan(kv_rows({{"r", "bad"}, {"r", "new"}})).duplicate_keys == 1u);
  BOOST_TEST(plan(kv_rows({{"r", "new"}, {"r", "bad"}})).duplicate_keys == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
