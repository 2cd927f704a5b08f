// Rejected records and retries: forced re-planning (retry_rejected "always", `backflow retry`),
// what leaves the rejects list, and listing them.
#include <boost/test/unit_test.hpp>

#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;

namespace {

/// The state fixture with helpers to plan with or without forced retries.
struct retry_fixture : state_fixture {
  diff_tally plan_retrying(const packed_rows& rows) {
    st.retry_all_rejects = true;
    auto t = plan(rows);
    st.retry_all_rejects = false;
    return t;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reject_retry, retry_fixture)

BOOST_AUTO_TEST_CASE(a_forced_retry_replans_an_unchanged_never_delivered_row) {
  plan(kv_rows({{"a", "1"}, {"b", "bad"}}));
  settle_one("a", settlement::delivered, "id-a");
  settle_one("b", settlement::rejected, "", "INVALID_EMAIL");
  BOOST_TEST(plan(kv_rows({{"a", "1"}, {"b", "bad"}})).unchanged_rejected == 1u);

  auto t = plan_retrying(kv_rows({{"a", "1"}, {"b", "bad"}}));
  BOOST_TEST(t.added == 1u);
  BOOST_TEST(t.resent_rejected == 1u);
  BOOST_TEST(t.unchanged_rejected == 0u);
  BOOST_TEST(t.unchanged == 1u);
  auto ch = changes();
  BOOST_REQUIRE_EQUAL(ch.size(), 1u);
  BOOST_TEST((ch["b"].kind == change_kind::added));
  BOOST_TEST(ch["b"].payload == encode_row({txt("bad")}));
  // Still pending while it is being retried: a later plain plan does not drop the reject.
  BOOST_TEST(st.count().rejects == 1u);
}

BOOST_AUTO_TEST_CASE(rejected_again_stays_with_the_new_reason_and_delivered_leaves) {
  plan(kv_rows({{"b", "bad"}, {"c", "bad"}}));
  settle_all(settlement::rejected, "first reason");
  plan_retrying(kv_rows({{"b", "bad"}, {"c", "bad"}}));
  settle_one("b", settlement::rejected, "", "second reason");
  settle_one("c", settlement::delivered, "id-c");
  BOOST_TEST(reject("b")->reason == "second reason");
  BOOST_TEST(reject("b")->attempts == 2u);
  BOOST_TEST(!reject("c").has_value());
  BOOST_TEST(key("c")->dest_id == "id-c");
  // Without forcing, the one still rejected waits again; the delivered one is in sync.
  auto t = plan(kv_rows({{"b", "bad"}, {"c", "bad"}}));
  BOOST_TEST(t.unchanged_rejected == 1u);
  BOOST_TEST(t.unchanged == 1u);
}

BOOST_AUTO_TEST_CASE(a_forced_retry_of_a_rejected_change_carries_the_destination_id) {
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "2"}}));
  settle_all(settlement::rejected, "nope");
  auto t = plan_retrying(kv_rows({{"a", "2"}}));
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.resent_rejected == 1u);
  auto ch = changes();
  BOOST_TEST((ch["a"].kind == change_kind::changed));
  BOOST_TEST(ch["a"].dest_id == "id-a");
}

BOOST_AUTO_TEST_CASE(a_forced_retry_sends_a_refused_delete_again) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::rejected, "archive refused");
  BOOST_TEST(plan(kv_rows({{"a", "1"}})).deleted == 0u);
  auto t = plan_retrying(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.resent_rejected == 1u);
  BOOST_TEST(t.unchanged_rejected == 0u);
  auto ch = changes();
  BOOST_TEST((ch["b"].kind == change_kind::deleted));
  BOOST_TEST(ch["b"].dest_id == "id-b");
  settle_all(settlement::delivered);
  BOOST_TEST(st.count().rejects == 0u);
  BOOST_TEST(!key("b").has_value());
}

BOOST_AUTO_TEST_CASE(a_never_delivered_reject_whose_row_left_is_forgotten_even_when_forced) {
  plan(kv_rows({{"a", "1"}, {"b", "bad"}}));
  settle_one("a", settlement::delivered, "id-a");
  settle_one("b", settlement::rejected, "", "bad");
  auto t = plan_retrying(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.added + t.changed + t.deleted == 0u);
  BOOST_TEST(st.count().rejects == 0u);  // nothing to retry: the row is gone
}

BOOST_AUTO_TEST_CASE(a_delivered_row_whose_rejected_change_left_becomes_a_delete) {
  plan(kv_rows({{"a", "1"}, {"b", "2"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "1"}, {"b", "bad"}}));
  settle_one("b", settlement::rejected, "", "bad");
  auto t = plan_retrying(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.resent_rejected == 0u);  // a plain delete, planned with or without forcing
  settle_all(settlement::forgotten);   // upsert mode: the key is dropped, and its reject
  BOOST_TEST(st.count().rejects == 0u);
}

BOOST_AUTO_TEST_CASE(a_row_back_to_its_delivered_version_leaves_the_rejects) {
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "2"}}));
  settle_all(settlement::rejected, "nope");
  BOOST_TEST(st.count().rejects == 1u);
  auto t = plan(kv_rows({{"a", "1"}}));
  BOOST_TEST(t.unchanged == 1u);
  BOOST_TEST(st.count().changes == 0u);
  BOOST_TEST(st.count().rejects == 0u);  // the destination has what the model says
}

BOOST_AUTO_TEST_CASE(duplicates_are_still_detected_when_forced) {
  plan(kv_rows({{"r", "bad"}}));
  settle_all(settlement::rejected, "bad");
  BOOST_TEST(plan_retrying(kv_rows({{"r", "bad"}, {"r", "bad"}})).duplicate_keys == 1u);
  BOOST_TEST(plan_retrying(kv_rows({{"r", "bad"}, {"r", "new"}})).duplicate_keys == 1u);
  BOOST_TEST(plan_retrying(kv_rows({{"r", "new"}, {"r", "bad"}})).duplicate_keys == 1u);
}

BOOST_AUTO_TEST_CASE(listing_says_whether_an_older_version_was_delivered) {
  plan(kv_rows({{"a", "1"}}));
  settle_all(settlement::delivered);
  plan(kv_rows({{"a", "2"}, {"b", "bad"}}));
  settle_all(settlement::rejected, "nope");
  auto list = st.list_rejects(10);
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(list[0].key == "a");
  BOOST_TEST(list[0].synced);
  BOOST_TEST(list[1].key == "b");
  BOOST_TEST(!list[1].synced);
  BOOST_TEST(st.list_rejects(1).size() == 1u);
  BOOST_TEST(st.list_rejects(0).empty());
}

BOOST_AUTO_TEST_CASE(a_run_summary_is_found_by_its_id) {
  st.store_run(4, {{"run_id", 4}, {"finished_at", "2026-01-02T03:04:05.000Z"}});
  BOOST_TEST(st.load_run(4)["finished_at"] == "2026-01-02T03:04:05.000Z");
  BOOST_TEST(st.load_run(5).is_null());
}

BOOST_AUTO_TEST_SUITE_END()
