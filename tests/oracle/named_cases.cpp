// The oracle's named cases: each defect of issue 10 the oracle can express, replayed as a short
// deterministic script (fixed seeds) through the same session, expectations and comparison as
// the random sequences. Run one with `build/tests/oracle/oracle --run_test=named/<name>`.
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "tests/oracle/scripted_case.hpp"
#include "tests/oracle/values.hpp"

using namespace backflow::oracle;

BOOST_AUTO_TEST_SUITE(named)

// Defect 1: a 503 burst outlasting max_attempts 2 leaves a change set; the next run applies it
// and then the new plan, both numbering batches from 1: the receiver drops the second r3-b1.
BOOST_AUTO_TEST_CASE(d1_webhook_id_reuse_after_503_burst) {
  scripted t("named", "d1_webhook_id_reuse_after_503_burst", "webhook", "upsert", 101);
  t.s.setup().delivery["max_attempts"] = 2;
  t.add_rows(60);
  if (t.finishes("60 rows")) {
    t.touch_all("second");
    t.s.step("every row changes; every request from the 2nd on gets 503");
    auto r = t.s.run(queued(
        fault_kind::burst_long,
        {{"match", {{"path_contains", "/hooks/"}}}, {"status", 503}, {"nth", 2}, {"count", 12}}));
    if (t.s.expect_exit(r, {4}, "batches that got 503 on both attempts must stop the run (4)")) {
      t.touch_all("third");
      t.finishes("every row changes again; the next run finishes both change sets");
    }
  }
  t.done();
}

// Defect 1: kill -9 mid-apply, then a model change: the resumed and the new batches share ids.
BOOST_AUTO_TEST_CASE(d1_webhook_id_reuse_after_kill) {
  scripted t("named", "d1_webhook_id_reuse_after_kill", "webhook", "upsert", 102);
  t.add_rows(75);
  if (t.finishes("75 rows")) {
    t.touch_all("second");
    t.s.step("every row changes; kill -9 after the first request");
    fault_plan kill;
    kill.kind = fault_kind::kill9;
    auto r = t.s.run(kill);
    if (!r.killed)
      t.s.expect_exit(r, {-1}, "the harness could not kill the run mid-apply");
    t.touch_all("third");
    t.finishes("every row changes again; the next run finishes both change sets");
  }
  t.done();
}

// Defect 1: a wrong signing secret (401) leaves the change set; the fixed secret's run reuses ids.
BOOST_AUTO_TEST_CASE(d1_webhook_id_reuse_after_401_then_fixed_secret) {
  scripted t("named", "d1_webhook_id_reuse_after_401_then_fixed_secret", "webhook", "upsert", 103);
  t.add_rows(60);
  if (t.finishes("60 rows")) {
    t.touch_all("second");
    t.s.setup().destination["secret"] = "whsec_d3Jvbmctc2VjcmV0";  // base64 "wrong-secret"
    t.s.step("every row changes; the sync's secret is wrong");
    auto r = t.s.run();
    if (t.s.expect_exit(r, {4}, "a 401 must stop the run (4)")) {
      t.s.setup().destination["secret"] = webhook_secret();
      t.touch_all("third");
      t.finishes("secret fixed, every row changes again");
    }
  }
  t.done();
}

// Defect 1: a deleted state directory restarts run ids: r1-b1 again, dropped as a duplicate.
BOOST_AUTO_TEST_CASE(d1_webhook_id_reuse_after_state_loss) {
  scripted t("named", "d1_webhook_id_reuse_after_state_loss", "webhook", "upsert", 104);
  t.add_rows(60);
  if (t.finishes("60 rows")) {
    t.touch_all("second");
    fault_plan loss;
    loss.kind = fault_kind::state_loss;
    t.finishes("state directory deleted, every row changes", loss);
  }
  t.done();
}

// Defect 2: a row's new e-mail is a new identity; the old one must leave the audience.
BOOST_AUTO_TEST_CASE(d2_meta_identity_change) {
  scripted t("named", "d2_meta_identity_change", "meta", "audience", 201);
  t.add_rows(30);
  if (t.finishes("30 rows")) {
    change_note note;
    t.writer.new_identity(t.rows(), 3, note);
    if (t.finishes("3 rows get a new e-mail")) {
      t.rows().erase(t.rows().begin(), t.rows().begin() + 5);
      t.finishes("5 rows leave the model");
    }
  }
  t.done();
}

// Defect 3: FN, LN and EMAIL are lowercased by Unicode rules (ÉMILE → émile, ДМИТРИЙ → дмитрий).
BOOST_AUTO_TEST_CASE(d3_meta_non_ascii_capitals) {
  scripted t("named", "d3_meta_non_ascii_capitals", "meta", "audience", 301);
  t.s.setup().mapping = t.target.mapping({true, false, false, false});  // EMAIL, FN, LN
  const auto& names = hostile_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto r = t.writer.make_row();
    r["fn"] = cell::of_text(names[i].raw);
    r["ln"] = cell::of_text(names[(i + 5) % names.size()].raw);
    const auto& local = names[i].raw.find('\'') == std::string::npos ? names[i].raw : "USER";
    r["email"] = cell::of_text(local + "." + std::to_string(i) + "@EXAMPLE.COM");
    t.rows().push_back(r);
  }
  t.finishes(std::to_string(names.size()) + " rows named in several scripts");
  t.done();
}

// Defect 5: ('x|y','z') and ('x','y|z') are two records, their keys escaped; deleting one keeps
// the other.
BOOST_AUTO_TEST_CASE(d5_composite_keys_with_separators) {
  sequence_features composite;
  composite.composite = true;
  scripted t("named", "d5_composite_keys_with_separators", "webhook", "mirror", 501, composite);
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"x|y", "z"}, {"x", "y|z"}, {"a\\", "b"}, {"a", "\\b"}, {"|", "|"}, {"\\|", "c"}})
    t.rows().push_back(keyed(t.writer, a, b));
  for (int i = 0; i < 10; ++i)
    t.rows().push_back(keyed(t.writer, "cust-" + std::to_string(i), "p1"));
  if (t.finishes("16 rows, 6 with separators in their key parts")) {
    t.rows().erase(t.rows().begin() + 1);  // ('x', 'y|z')
    t.finishes("('x','y|z') leaves the model; ('x|y','z') stays");
  }
  t.done();
}

// Defect 7: keys over 511 bytes (LMDB's key limit) sync like any other.
BOOST_AUTO_TEST_CASE(d7_key_over_511_bytes) {
  scripted t("named", "d7_key_over_511_bytes", "webhook", "upsert", 701);
  t.add_rows(10);
  t.rows()[3]["k1"] = cell::of_text("long-" + std::string(600, 'k'));
  std::string cyrillic;
  for (int i = 0; i < 1000; ++i)
    cyrillic += "ж";
  t.rows()[7]["k1"] = cell::of_text("longer-" + cyrillic);
  if (t.finishes("10 rows, keys of 605 and 2007 bytes")) {
    t.touch_all("second");
    if (t.finishes("every row changes"))
      t.sends_nothing("nothing changes", "nothing changed");
  }
  t.done();
}

// Defect 8: integers past 2^53, decimals a double cannot hold, and floats printed shortest reach
// every destination exactly (request bodies are read with their literal numbers).
void exact_numbers(const std::string& destination, std::uint64_t seed) {
  sequence_features f;
  f.float_as_text = true;
  const auto name = "d8_exact_numbers_" + destination;
  scripted t("named", name, destination, "upsert", seed, f);
  t.add_rows(8);
  for (std::size_t i = 0; i < t.rows().size(); ++i) {
    t.rows()[i]["big"] = cell::of_integer(big_integers()[i % big_integers().size()]);
    t.rows()[i]["amount"] = cell::of_text(exact_decimals()[i % exact_decimals().size()]);
    t.rows()[i]["score"] = cell::of_real(float_literals()[i % float_literals().size()]);
  }
  t.finishes("8 rows with big integers, long decimals and floats (also mapped as text)");
  t.done();
}

BOOST_AUTO_TEST_CASE(d8_exact_numbers_webhook) {
  exact_numbers("webhook", 801);
}
BOOST_AUTO_TEST_CASE(d8_exact_numbers_hubspot) {
  exact_numbers("hubspot", 802);
}
BOOST_AUTO_TEST_CASE(d8_exact_numbers_salesforce) {
  exact_numbers("salesforce", 803);
}
BOOST_AUTO_TEST_CASE(d8_exact_numbers_salesforce_bulk) {
  exact_numbers("salesforce_bulk", 804);
}

// Defect 11: switching upsert ↔ mirror with nothing to delete changes nothing the destination
// receives: no API call.
void mode_switch_sends_nothing(const std::string& destination, std::uint64_t seed) {
  const auto name = "d11_mode_switch_makes_no_calls_" + destination;
  scripted t("named", name, destination, "upsert", seed);
  t.add_rows(40);
  if (t.finishes("40 rows")) {
    t.s.setup().mode = "mirror";
    if (t.sends_nothing("mode upsert → mirror",
                        "only the mode changed and no row left the model")) {
      t.s.setup().mode = "upsert";
      t.sends_nothing("mode mirror → upsert", "only the mode changed");
    }
  }
  t.done();
}

BOOST_AUTO_TEST_CASE(d11_mode_switch_makes_no_calls_webhook) {
  mode_switch_sends_nothing("webhook", 1101);
}
BOOST_AUTO_TEST_CASE(d11_mode_switch_makes_no_calls_hubspot) {
  mode_switch_sends_nothing("hubspot", 1102);
}

// Defect 11: reordering the SELECT's columns of a sync without a mapping (every non-key column
// goes, same name) changes nothing the destination receives: no API call.
BOOST_AUTO_TEST_CASE(d11_column_reorder_makes_no_calls) {
  scripted t("named", "d11_column_reorder_makes_no_calls", "webhook", "upsert", 1103);
  t.s.setup().use_implicit_mapping();
  t.add_rows(40);
  if (t.finishes("40 rows, no mapping in the sync file")) {
    auto& order = t.s.setup().select_order;
    std::reverse(order.begin(), order.end());
    if (t.sends_nothing("SELECT columns reversed", "only the SELECT's column order changed")) {
      std::rotate(order.begin(), order.begin() + 3, order.end());
      t.sends_nothing("SELECT columns rotated", "only the SELECT's column order changed");
    }
  }
  t.done();
}

// Found by the random sequences (marketo/mirror:17377290410766900566): a run resumes a change
// set cut by kill -9, and the resumed request that timed out lands late, after the new plan sent
// newer values for the same records: the older values must not win.
BOOST_AUTO_TEST_CASE(late_landing_of_a_resumed_request) {
  scripted t("named", "late_landing_of_a_resumed_request", "hubspot", "upsert", 1201);
  t.add_rows(60);
  if (t.finishes("60 rows")) {
    t.touch_all("second");
    t.s.step("every row changes; kill -9 after the first request");
    fault_plan kill;
    kill.kind = fault_kind::kill9;
    auto r = t.s.run(kill);
    if (!r.killed)
      t.s.expect_exit(r, {-1}, "the harness could not kill the run mid-apply");
    t.touch_all("third");
    auto late = queued(fault_kind::timeout_after_sent,
                       {{"match", {{"path_contains", "/crm/"}}}, {"delay_ms", 2300}, {"nth", 1}});
    late.delay_ms = 2300;
    t.finishes("every row changes again; the resumed set's first request lands after its timeout",
               late);
  }
  t.done();
}

BOOST_AUTO_TEST_SUITE_END()
