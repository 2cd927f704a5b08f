// Unchanged spans: the cuts follow the rows' content, known spans are neither prepared nor looked
// up, and no remembered span ever hides a change (reverts, repairs, rejects, imports, resets).
#include <boost/test/unit_test.hpp>

#include <set>

#include "state/drift_marks.hpp"
#include "state/plan_import.hpp"
#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;

namespace {

/// Rows (k<i>, v<i>) for i in [from, to), with `edits` replacing some values.
std::vector<std::pair<std::string, std::string>> model(int from, int to,
                                                       std::map<int, std::string> edits = {}) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = from; i < to; ++i)
    rows.emplace_back("k" + std::to_string(i),
                      edits.count(i) ? edits[i] : "v" + std::to_string(i));
  return rows;
}

/// Splits rows into batches of `size`, as a source fetches them.
std::vector<packed_rows> batches(const std::vector<std::pair<std::string, std::string>>& rows,
                                 size_t size) {
  std::vector<packed_rows> out;
  for (size_t i = 0; i < rows.size(); i += size) {
    std::vector<std::pair<std::string, std::string>> part(
        rows.begin() + static_cast<long>(i),
        rows.begin() + static_cast<long>(std::min(rows.size(), i + size)));
    out.push_back(kv_rows(part));
  }
  return out;
}

row_preparer preparer_for_kv() {
  return row_preparer(row_projection({0, 1}, 2), planner_for(2, 1, 7),
                      value_inspector({"c0", "c1"}, 1, 65536));
}

/// The digests of the spans `rows` are cut into, fed in batches of `batch`.
std::vector<hash128> digests(const std::vector<std::pair<std::string, std::string>>& rows,
                             size_t batch) {
  auto preparer = preparer_for_kv();
  span_cutter cutter(99, nullptr);
  planned_batch out;
  for (const auto& b : batches(rows, batch))
    cutter.cut(b, preparer, out);
  cutter.finish(preparer, out);
  std::vector<hash128> d;
  for (const auto& s : out.rows.spans)
    d.push_back(s.digest);
  return d;
}

std::set<std::pair<uint64_t, uint64_t>> as_set(const std::vector<hash128>& d) {
  std::set<std::pair<uint64_t, uint64_t>> s;
  for (const auto& h : d)
    s.insert({h.high, h.low});
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(span_cuts)

BOOST_AUTO_TEST_CASE(cuts_do_not_depend_on_how_the_source_batches_its_rows) {
  auto rows = model(0, 5000);
  auto whole = digests(rows, 5000);
  BOOST_TEST(whole.size() > 40u);  // about one cut per 64 rows
  BOOST_TEST(whole.size() < 160u);
  BOOST_TEST((digests(rows, 7) == whole));
  BOOST_TEST((digests(rows, 1000) == whole));
}

BOOST_AUTO_TEST_CASE(an_inserted_deleted_or_edited_row_changes_only_the_spans_beside_it) {
  auto rows = model(0, 5000);
  auto before = as_set(digests(rows, 1000));
  auto edited = rows;
  edited.insert(edited.begin() + 1234, {"new", "row"});
  edited.erase(edited.begin() + 3000);
  edited[4000].second = "changed";
  auto after = as_set(digests(edited, 1000));
  size_t kept = 0;
  for (const auto& d : after)
    kept += before.count(d);
  // Three edits, each dirtying its own span and at most the one a moved cut merges it with.
  BOOST_TEST(kept + 6 >= after.size());
  BOOST_TEST(kept < after.size());
}

BOOST_AUTO_TEST_CASE(known_spans_are_skipped_and_later_rows_keep_their_numbers) {
  auto rows = model(0, 3000);
  rows.emplace_back("", "no key");  // row 3001
  auto known = std::make_shared<std::vector<hash128>>(digests(model(0, 3000), 1000));
  std::sort(known->begin(), known->end(), hash128_less{});
  auto preparer = preparer_for_kv();
  span_cutter cutter(99, known);
  planned_batch out;
  for (const auto& b : batches(rows, 1000))
    cutter.cut(b, preparer, out);
  cutter.finish(preparer, out);
  uint64_t known_rows = 0;
  for (const auto& k : out.known)
    known_rows += k.rows;
  // Every span but the last (which now ends with the keyless row) is known.
  BOOST_TEST(known_rows + out.rows.size() + 1 == rows.size());
  BOOST_TEST(out.rows.size() < 1025u);
  BOOST_REQUIRE_EQUAL(out.null_key_rows.size(), 1u);
  BOOST_TEST(out.null_key_rows[0] == 3001u);
  BOOST_REQUIRE_EQUAL(out.rows.spans.size(), 1u);
  BOOST_TEST(!out.rows.spans[0].recordable);  // a keyless row in it
  BOOST_TEST(preparer.findings().uninspected_rows == known_rows);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(unchanged_spans, state_fixture)

BOOST_AUTO_TEST_CASE(an_unchanged_rerun_marks_known_spans_without_planning_them) {
  auto rows = batches(model(0, 4000), 1000);
  plan(rows);
  settle_all(settlement::delivered);
  BOOST_TEST(remembered_spans(st).empty());  // nothing was synced when the first plan ran
  auto second = plan(rows);                  // looks every row up, remembers the spans
  BOOST_TEST(second.unchanged == 4000u);
  auto spans = remembered_spans(st).size();
  BOOST_TEST(spans > 30u);
  auto third = plan(rows);  // from the spans
  BOOST_TEST(third.extracted == 4000u);
  BOOST_TEST(third.unchanged == 4000u);
  BOOST_TEST(third.added + third.changed + third.deleted == 0u);
  BOOST_TEST(remembered_spans(st).size() == spans);
  // A row gone is still a delete, found among the known spans.
  auto fewer = model(0, 4000);
  fewer.erase(fewer.begin() + 2500);
  auto t = plan(batches(fewer, 1000));
  BOOST_TEST(t.deleted == 1u);
  BOOST_TEST(t.deleted_samples == std::vector<std::string>({"k2500"}));
  BOOST_TEST(t.unchanged == 3999u);
}

BOOST_AUTO_TEST_CASE(a_row_reverted_after_its_change_was_sent_is_sent_again) {
  // The destination holds the change: the old span must not claim the old row is synced.
  auto original = batches(model(0, 3000), 1000);
  plan(original);
  settle_all(settlement::delivered);
  plan(original);  // remembers the spans
  auto edited = batches(model(0, 3000, {{1500, "edited"}}), 1000);
  BOOST_TEST(plan(edited).changed == 1u);
  settle_all(settlement::delivered);
  auto back = plan(original);
  BOOST_TEST(back.changed == 1u);
  BOOST_TEST(back.changed_samples == std::vector<std::string>({"k1500"}));
  BOOST_TEST(back.unchanged == 2999u);
}

BOOST_AUTO_TEST_CASE(a_drift_repair_forgets_the_spans_so_the_repaired_key_is_resent) {
  auto rows = batches(model(0, 3000), 1000);
  plan(rows);
  settle_all(settlement::delivered);
  plan(rows);
  BOOST_REQUIRE(!remembered_spans(st).empty());
  BOOST_TEST(mark_for_resend(st, {"k42"}, {key("k42")->hash}) == 1u);
  BOOST_TEST(remembered_spans(st).empty());
  auto t = plan(rows);
  BOOST_TEST(t.changed == 1u);
  BOOST_TEST(t.changed_samples == std::vector<std::string>({"k42"}));
}

BOOST_AUTO_TEST_CASE(a_rejected_row_is_never_in_a_remembered_span) {
  auto rows = batches(model(0, 3000), 1000);
  plan(rows);
  settle_all(settlement::delivered);
  plan(batches(model(0, 3000, {{7, "bad"}}), 1000));
  settle_one("k7", settlement::rejected, {}, "invalid");
  // k7 is back to the version the destination has: its reject is dropped, but its span is not
  // remembered by this plan (it held a reject when looked up).
  BOOST_TEST(plan(rows).unchanged == 3000u);
  BOOST_TEST(!reject("k7").has_value());
  auto spans = remembered_spans(st).size();
  BOOST_TEST(plan(rows).unchanged == 3000u);  // the next plan looks that span up and keeps it
  BOOST_TEST(remembered_spans(st).size() == spans + 1);
}

BOOST_AUTO_TEST_CASE(a_duplicate_key_inside_a_known_span_is_named) {
  auto rows = model(0, 3000);
  plan(batches(rows, 1000));
  settle_all(settlement::delivered);
  plan(batches(rows, 1000));
  auto twice = rows;
  twice.emplace_back("k10", "v10 again");
  auto t = plan(batches(twice, 1000));
  BOOST_TEST(t.duplicate_keys == 1u);
  BOOST_TEST(t.duplicate_samples == std::vector<std::string>({"k10"}));
}

BOOST_AUTO_TEST_CASE(imports_resets_and_windows_forget_every_span) {
  auto rows = batches(model(0, 3000), 1000);
  plan(rows);
  settle_all(settlement::delivered);
  plan(rows);
  BOOST_REQUIRE(!remembered_spans(st).empty());
  diff_options window;
  window.plan_deletes = false;  // a read of rows past the cursor mark: cuts no span
  plan(rows, 7, 1, window);
  BOOST_TEST(remembered_spans(st).empty());
  plan(rows);
  BOOST_REQUIRE(!remembered_spans(st).empty());
  st.reset();
  BOOST_TEST(remembered_spans(st).empty());
  plan(rows);
  settle_all(settlement::delivered);
  plan(rows);
  BOOST_REQUIRE(!remembered_spans(st).empty());
  begin_import(st, "digest", st.new_run_id() + 1);
  BOOST_TEST(remembered_spans(st).empty());
}

BOOST_AUTO_TEST_CASE(another_seed_matches_no_span) {
  auto rows = batches(model(0, 3000), 1000);
  plan(rows);
  settle_all(settlement::delivered);
  plan(rows);
  // A new payload fingerprint (another mapping): every row is planned again, none from a span.
  auto t = plan(rows, 8);
  BOOST_TEST(t.changed == 3000u);
}

BOOST_AUTO_TEST_SUITE_END()
