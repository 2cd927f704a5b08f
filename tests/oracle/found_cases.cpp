// Defects the oracle's random sequences found beyond issue 10's list, each as a short named case
// (the seeds that found them are in the report of the oracle's first run on main).
#include <boost/test/unit_test.hpp>

#include "tests/oracle/scripted_case.hpp"

using namespace backflow::oracle;

BOOST_AUTO_TEST_SUITE(found)

// Rows that left the model while the sync was in upsert mode keep their records; after a switch
// to mirror, a successful run must remove them (mirror's rule holds over the whole history).
BOOST_AUTO_TEST_CASE(upsert_to_mirror_removes_rows_that_left_in_upsert) {
  scripted t("found", "upsert_to_mirror_removes_rows_that_left_in_upsert", "webhook", "upsert",
             2001);
  t.add_rows(30);
  if (t.finishes("30 rows")) {
    t.rows().erase(t.rows().begin(), t.rows().begin() + 5);
    if (t.finishes("5 rows leave the model (upsert keeps their records)")) {
      t.s.setup().mode = "mirror";
      t.finishes("mode upsert → mirror");
    }
  }
  t.done();
}

// Bulk 2.0: the upload landed but its answer was a 502; the retried upload is refused ("Data was
// already uploaded") and the records end rejected instead of delivered.
BOOST_AUTO_TEST_CASE(bulk_upload_applied_then_502_is_delivered) {
  scripted t("found", "bulk_upload_applied_then_502_is_delivered", "salesforce_bulk", "upsert",
             2002);
  t.add_rows(30);
  if (t.finishes("30 rows")) {
    t.touch_all("second");
    t.finishes("every row changes; the CSV upload is applied, then answered 502",
               queued(fault_kind::apply_then_fail,
                      {{"match", {{"method", "PUT"}, {"path_contains", "/batches"}}},
                       {"apply", true},
                       {"status", 502}}));
  }
  t.done();
}

// Bulk 2.0: a 401 on the first job's creation while a second job is under way: the run must stop
// (exit 4) and the next one deliver everything. It hung instead, ignoring SIGTERM.
BOOST_AUTO_TEST_CASE(bulk_401_with_two_jobs_stops_the_run) {
  scripted t("found", "bulk_401_with_two_jobs_stops_the_run", "salesforce_bulk", "upsert", 2003);
  t.s.setup().delivery["concurrency"] = 3;
  t.add_rows(170);  // two jobs of at most 100 records
  if (t.finishes("170 rows")) {
    t.touch_all("second");
    t.s.step("every row changes; the first request of the run gets 401");
    auto r = t.s.run(
        queued(fault_kind::auth_401,
               {{"match", {{"path_contains", "/services/"}}}, {"status", 401}, {"nth", 1}}));
    if (t.s.expect_exit(r, {4}, "a 401 must stop the run (4)"))
      t.finishes("the next run finishes");
  }
  t.done();
}

BOOST_AUTO_TEST_SUITE_END()
