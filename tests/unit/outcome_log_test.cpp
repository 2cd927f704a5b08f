// The outcome log write-back consumes: what settle() logs, in order, with exact fields; what
// write-back drops; what stays out (other syncs, retirements, syncs without write-back).
#include <boost/test/unit_test.hpp>

#include "state/outcome_log.hpp"
#include "state/sync_state.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;
using backflow::testing::temp_dir;

namespace {

struct outcome_fixture {
  temp_dir dir;
  std::shared_ptr<state_dir> sd = *state_dir::open(dir.path());
  sync_state st{sd, "orders"};

  outcome_fixture() {
    st.logs_outcomes = true;
    plan_record plan;
    plan.state = plan_record::status::applying;
    plan.fields = {"big", "name"};
    st.env().write([&](transaction& txn) { st.store_plan(txn, plan); });
  }
  /// A pending change of `key` whose payload is (big, name).
  void pend(const std::string& key, change_kind kind, const std::string& payload,
            const std::string& dest_id = {}) {
    change_record c;
    c.kind = kind;
    c.payload = payload;
    c.dest_id = dest_id;
    st.env().write([&](transaction& txn) { st.changes().put(txn, storage_key(key), encode(c)); });
  }
  void settle(const std::vector<settled_record>& records, uint64_t run) {
    st.env().write([&](transaction& txn) { st.settle(txn, records, run); });
  }
};

std::string outcome_payload(const std::string& big_decimal, const std::string& name) {
  std::string out;
  row_writer w(out);
  w.decimal(big_decimal);
  w.text(name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outcome_log)

BOOST_FIXTURE_TEST_CASE(each_settled_record_is_logged_with_its_change_and_exact_fields,
                        outcome_fixture) {
  // A changed record without a destination id is settled as "added" by the delivery layer; the
  // change set says what the row did.
  pend("a|1", change_kind::changed, outcome_payload("12345678901234567890123456789012345678", "Zoë"));
  pend("b", change_kind::deleted, {}, "id-b");
  pend("c", change_kind::added, outcome_payload("-1", ""));
  settle({{"a|1", change_kind::added, value_hash("a"), settlement::delivered, "", {}},
          {"b", change_kind::deleted, {}, settlement::delivered, "", {}},
          {"c", change_kind::added, value_hash("c"), settlement::rejected, "", "422 token=s3cr3t"}},
         7);
  auto log = read_outcomes(st, 10);
  BOOST_REQUIRE_EQUAL(log.size(), 3u);
  BOOST_TEST(log[0].seq == 1u);
  BOOST_TEST(log[0].run_id == 7u);
  BOOST_TEST(log[0].key == "a|1");
  BOOST_TEST(log[0].operation == "changed");
  BOOST_TEST(log[0].outcome == "delivered");
  BOOST_TEST(log[0].fields == R"({"big":12345678901234567890123456789012345678,"name":"Zoë"})");
  BOOST_TEST(log[1].operation == "deleted");
  BOOST_TEST(log[1].dest_id == "id-b");  // from the change, the settlement had none
  BOOST_TEST(log[1].fields.empty());
  BOOST_TEST(log[2].outcome == "rejected");
  BOOST_TEST(log[2].reason == "422 token=s3cr3t");
  BOOST_TEST(log[2].fields == R"({"big":-1,"name":""})");
  BOOST_TEST(log[2].settled_at.size() == 24u);  // 2026-12-06T13:25:00.123Z
  BOOST_TEST(log[2].settled_at.back() == 'Z');
}

BOOST_FIXTURE_TEST_CASE(dropping_removes_only_what_was_written_and_numbering_goes_on,
                        outcome_fixture) {
  for (const char* k : {"a", "b", "c"})
    settle({{k, change_kind::added, value_hash(k), settlement::delivered, std::string("id-") + k, {}}}, 1);
  drop_outcomes(st, 2);
  auto left = read_outcomes(st, 10);
  BOOST_REQUIRE_EQUAL(left.size(), 1u);
  BOOST_TEST(left[0].key == "c");
  BOOST_TEST(left[0].dest_id == "id-c");
  st.reset();  // forgetting the synced keys keeps what the warehouse has not been told yet
  settle({{"d", change_kind::added, value_hash("d"), settlement::delivered, "id-d", {}}}, 2);
  left = read_outcomes(st, 10);
  BOOST_REQUIRE_EQUAL(left.size(), 2u);
  BOOST_TEST(left[1].seq == 4u);
  BOOST_TEST(count_outcomes(st) == 2u);
  BOOST_TEST(st.count().keys == 1u);  // the log is not counted as keys or anything else
}

BOOST_FIXTURE_TEST_CASE(retirements_other_syncs_and_syncs_without_write_back_log_nothing,
                        outcome_fixture) {
  settle({{"a", change_kind::changed, {}, settlement::retired, "", {}}}, 1);
  BOOST_TEST(count_outcomes(st) == 0u);
  sync_state quiet(sd, "quiet");
  quiet.env().write([&](transaction& txn) {
    quiet.settle(txn, {{"x", change_kind::added, value_hash("x"), settlement::delivered, "", {}}}, 1);
  });
  BOOST_TEST(count_outcomes(quiet) == 0u);
  settle({{"b", change_kind::added, value_hash("b"), settlement::delivered, "", {}}}, 1);
  sync_state other(sd, "orders_2");
  BOOST_TEST(count_outcomes(other) == 0u);
  BOOST_TEST(count_outcomes(st) == 1u);
}

BOOST_AUTO_TEST_CASE(the_ids_backfill_is_needed_only_for_keys_synced_without_the_log) {
  temp_dir dir;
  auto sd = *state_dir::open(dir.path());
  sync_state fresh(sd, "fresh");
  use_outcome_log(fresh, true);  // nothing synced yet: the log will see every key
  BOOST_TEST(fresh.logs_outcomes);
  BOOST_TEST(ids_backfilled(fresh));
  sync_state older(sd, "older");
  use_outcome_log(older, false);
  older.env().write([&](transaction& txn) {
    older.settle(txn, {{"k", change_kind::added, value_hash("k"), settlement::delivered, "id-k", {}}}, 1);
  });
  use_outcome_log(older, true);
  BOOST_TEST(!ids_backfilled(older));
  std::string after;
  auto ids = synced_ids(older, after, 10);
  BOOST_REQUIRE_EQUAL(ids.size(), 1u);
  BOOST_TEST(ids[0].key == "k");
  BOOST_TEST(ids[0].dest_id == "id-k");
  // Turned off after the backfill, then on again: the keys of the runs between need one.
  set_ids_backfilled(fresh);
  use_outcome_log(fresh, false);
  BOOST_TEST(!ids_backfilled(fresh));
}

BOOST_AUTO_TEST_CASE(a_damaged_entry_is_not_read_as_an_outcome) {
  outcome_entry e;
  e.seq = 3;
  e.key = "k";
  e.fields = "{}";
  auto bytes = e.encode();
  BOOST_TEST(outcome_entry::decode(bytes).has_value());
  BOOST_TEST(!outcome_entry::decode(bytes.substr(0, bytes.size() - 1)).has_value());
  BOOST_TEST(!outcome_entry::decode(bytes + "x").has_value());
  BOOST_TEST(!outcome_entry::decode("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
