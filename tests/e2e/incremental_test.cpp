// End to end: incremental reads by cursor (source.incremental), SQLite models to the webhook
// emulator through the backflow binary: windows, late rows, deletes, NULL cursors, clock skew, a
// kill -9 before the commit, and rejected rows retried behind the mark.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <thread>

#include "tests/e2e/incremental_support.hpp"

namespace incremental_e2e {

BOOST_AUTO_TEST_SUITE(e2e_incremental)

BOOST_FIXTURE_TEST_CASE(a_window_sends_what_moved_and_skips_rows_touched_but_unchanged, fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 200);  // updated_at 10:00:00 .. 10:03:19
  auto sync = write(sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "15m"}})));
  auto first = run(sync);
  require_ok(first);
  BOOST_TEST(first.summary["counts"]["delivered"] == 200);
  BOOST_TEST(first.summary["read"]["windowed"] == false);
  BOOST_TEST(first.summary["read"]["mark_after"] == "2026-03-01T10:03:19");

  // An hour later: row 5 touched (same values), row 6 changed; the rest did not move.
  db.exec("UPDATE items SET updated_at = '" + at(0, "2026-03-01", 11) + "' WHERE id = '" + id_of(5) + "'");
  db.exec("UPDATE items SET score = 1006, updated_at = '" + at(1, "2026-03-01", 11) + "' WHERE id = '" +
          id_of(6) + "'");
  auto plan = backflow.run({"plan", write(sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "15m"}}))),
                            "--state", backflow.state_dir, "--json"});
  auto planned = json::parse(plan.out, nullptr, false);
  BOOST_REQUIRE_MESSAGE(planned.is_object(), plan.out << plan.err);
  BOOST_TEST(planned["read"]["windowed"] == true);
  BOOST_TEST(planned["read"]["from"] == "2026-03-01T09:48:19.000000");  // mark − 15m, bound
  BOOST_TEST(planned["read"]["mark_before"] == "2026-03-01T10:03:19");
  auto text = backflow.run({"plan", sync, "--state", backflow.state_dir});
  BOOST_TEST(text.out.find("updated_at >= 2026-03-01T09:48:19.000000") != std::string::npos, text.out);

  auto second = run(sync);
  require_ok(second);
  BOOST_TEST(second.summary["read"]["windowed"] == true);
  // The window holds every row (all within the lookback of the mark) — and only the changed
  // one is sent: the diff keeps touched rows back.
  BOOST_TEST(second.summary["counts"]["changed"] == 1);
  BOOST_TEST(second.summary["counts"]["delivered"] == 1);
  BOOST_TEST(second.summary["read"]["mark_after"] == "2026-03-01T11:00:01");
  BOOST_TEST(received()[id_of(6)]["fields"]["score"] == 1006);
  // No row left: the model's count (200 = 200 synced) spares the key scan.
  BOOST_TEST(second.summary["read"]["key_scan_skipped"] == true);
  BOOST_TEST(second.summary["read"]["keys_scanned"] == 200);

  // Now the mark is 11:00:01 and the window starts at 10:45:01: rows of 10:0x are not read.
  auto third = run(sync);
  require_ok(third);
  BOOST_TEST(third.summary["read"]["rows_read"] == 2);  // rows 5 and 6
  BOOST_TEST(third.summary["counts"]["extracted"] == 2);
  BOOST_TEST(third.summary["counts"]["delivered"] == 0);

  // A late row: committed now with a cursor 10 minutes behind the mark, inside the lookback:
  // read and sent. One an hour behind is outside it: not read (the documented limitation).
  db.exec("UPDATE items SET score = 1007, updated_at = '" + at(0, "2026-03-01", 10) + "' WHERE id = '" +
          id_of(7) + "'");
  db.exec("UPDATE items SET score = 1008, updated_at = '2026-03-01 10:50:00' WHERE id = '" + id_of(8) + "'");
  auto late = run(sync);
  require_ok(late);
  BOOST_TEST(late.summary["counts"]["changed"] == 1);
  auto got = received();
  BOOST_TEST(got[id_of(8)]["fields"]["score"] == 1008);
  BOOST_TEST(got[id_of(7)]["fields"]["score"] == 7);  // behind the lookback: not seen
  BOOST_TEST(late.summary["read"]["mark_after"] == "2026-03-01T11:00:01");  // never goes back
}

BOOST_FIXTURE_TEST_CASE(deletes_by_key_scan_none_or_a_periodic_full_read, fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 50);
  json inc = {{"cursor", "updated_at"}, {"lookback", "1m"}};
  auto sync = write(sync_of(db.source(inc)));
  require_ok(run(sync));

  db.exec("DELETE FROM items WHERE id IN ('" + id_of(3) + "', '" + id_of(4) + "')");
  auto scanned = run(sync);
  require_ok(scanned);
  BOOST_TEST(scanned.summary["read"]["deletes"] == "key_scan");
  BOOST_TEST(scanned.summary["read"]["keys_scanned"] == 48);
  BOOST_TEST(scanned.summary["read"]["key_scan_skipped"] == false);  // 48 rows, 50 synced
  BOOST_TEST(scanned.summary["counts"]["deleted"] == 2);
  BOOST_TEST(received()[id_of(3)]["deleted"] == true);

  inc["deletes"] = "none";
  auto none = write(sync_of(db.source(inc)));
  db.exec("DELETE FROM items WHERE id = '" + id_of(5) + "'");
  auto blind = run(none);
  require_ok(blind);
  BOOST_TEST(blind.summary["read"]["deletes"] == "none");
  BOOST_TEST(blind.summary["counts"]["deleted"] == 0);
  BOOST_TEST(received()[id_of(5)]["deleted"] == false);
  auto text = backflow.run({"run", none, "--state", backflow.state_dir});
  BOOST_TEST(text.out.find("deletes are not detected") != std::string::npos, text.out);

  inc["deletes"] = {{"full_scan_every", "24h"}};
  auto periodic = write(sync_of(db.source(inc)));
  auto soon = run(periodic);  // the last full read was the first run, moments ago
  require_ok(soon);
  BOOST_TEST(soon.summary["read"]["windowed"] == true);
  BOOST_TEST(soon.summary["counts"]["deleted"] == 0);
  // A day later by Backflow's clock: a full read, which finds the delete.
  auto tomorrow = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count() + 25 * 3600);
  auto due = run(periodic, {{"BACKFLOW_FAKE_NOW", tomorrow}});
  require_ok(due);
  BOOST_TEST(due.summary["read"]["windowed"] == false);
  BOOST_TEST(due.summary["read"]["full_read_reason"].get<std::string>().find("full_scan_every") !=
             std::string::npos);
  BOOST_TEST(due.summary["counts"]["deleted"] == 1);
  BOOST_TEST(received()[id_of(5)]["deleted"] == true);
}

BOOST_FIXTURE_TEST_CASE(null_cursors_are_read_every_run_and_sent_only_when_changed, fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 20);
  db.exec("UPDATE items SET updated_at = NULL WHERE id IN ('" + id_of(1) + "', '" + id_of(2) + "')");
  auto sync = write(sync_of(db.source({{"cursor", "updated_at"}})));
  auto first = run(sync);
  require_ok(first);
  BOOST_TEST(first.summary["counts"]["delivered"] == 20);
  auto again = run(sync);
  require_ok(again);
  // The window (lookback 0) holds the mark's own row and the two NULL-cursor rows.
  BOOST_TEST(again.summary["read"]["rows_read"] == 3);
  BOOST_TEST(again.summary["counts"]["delivered"] == 0);
  db.exec("UPDATE items SET score = 999 WHERE id = '" + id_of(2) + "'");
  auto changed = run(sync);
  require_ok(changed);
  BOOST_TEST(changed.summary["counts"]["changed"] == 1);
  BOOST_TEST(received()[id_of(2)]["fields"]["score"] == 999);
}

BOOST_FIXTURE_TEST_CASE(an_integer_cursor_is_compared_and_bound_as_an_integer, fixture) {
  sqlite_items db(dir, "INTEGER");
  db.exec("BEGIN");
  for (int i = 0; i < 30; ++i)  // versions past 2^53: exact
    db.exec("INSERT INTO items VALUES ('" + id_of(i) + "', 'n', " + std::to_string(i) + ", " +
            std::to_string(9007199254740993LL + i * 10) + ")");
  db.exec("COMMIT");
  auto sync = write(sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "15s"}})));
  auto first = run(sync);
  require_ok(first);
  BOOST_TEST(first.summary["read"]["mark_after"] == std::to_string(9007199254740993LL + 290));
  db.exec("UPDATE items SET score = 77, updated_at = 9007199254741400 WHERE id = '" + id_of(3) + "'");
  auto second = run(sync);
  require_ok(second);
  BOOST_TEST(second.summary["read"]["kind"] == "integer");
  BOOST_TEST(second.summary["read"]["from"] == std::to_string(9007199254740993LL + 290 - 15));
  BOOST_TEST(second.summary["read"]["rows_read"] == 3);  // versions ...1273, ...1283 and the new one
  BOOST_TEST(second.summary["counts"]["changed"] == 1);
  BOOST_TEST(received()[id_of(3)]["fields"]["score"] == 77);
}

BOOST_FIXTURE_TEST_CASE(warehouse_timestamps_far_from_backflows_clock_change_nothing, fixture) {
  // The warehouse's clock runs decades ahead of Backflow's, then Backflow's jumps ahead of it:
  // the window is the warehouse's own values, so both runs read the same.
  sqlite_items db(dir, "TIMESTAMP");
  db.exec("BEGIN");
  for (int i = 0; i < 40; ++i)
    db.exec("INSERT INTO items VALUES ('" + id_of(i) + "', 'n', " + std::to_string(i) + ", '" +
            at(i, "2099-12-31", 23) + "+02:00')");
  db.exec("COMMIT");
  auto sync = write(sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "5s"}})));
  require_ok(run(sync, {{"BACKFLOW_FAKE_NOW", "1000000000"}}));  // Backflow in 2001
  db.exec("UPDATE items SET score = 500, updated_at = '2099-12-31 21:01:00Z' WHERE id = '" + id_of(2) + "'");
  auto ahead = run(sync, {{"BACKFLOW_FAKE_NOW", "5000000000"}});  // Backflow in 2128
  require_ok(ahead);
  BOOST_TEST(ahead.summary["read"]["windowed"] == true);
  // Mark 23:00:39+02:00 = 21:00:39Z; from 21:00:34Z: rows 34..39 and the updated one.
  BOOST_TEST(ahead.summary["read"]["from"] == "2099-12-31T21:00:34.000000+00:00");
  BOOST_TEST(ahead.summary["read"]["rows_read"] == 7);
  BOOST_TEST(ahead.summary["counts"]["changed"] == 1);
  BOOST_TEST(ahead.summary["read"]["mark_after"] == "2099-12-31T21:01:00Z");
}

BOOST_FIXTURE_TEST_CASE(a_kill_during_apply_keeps_the_mark_until_the_change_set_is_committed,
                        fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 100);
  auto sync = write(sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "1m"}})));
  require_ok(run(sync));
  BOOST_TEST(status()["cursor_mark"] == "2026-03-01T10:01:39");

  // 400 changed rows, slow deliveries: the run is killed in the middle of its change set.
  db.exec("UPDATE items SET score = score + 1000, updated_at = '2026-03-01 12:00:00'");
  fill(db, 100, 400);
  db.exec("UPDATE items SET updated_at = '2026-03-01 12:00:00' WHERE updated_at < '2026-03-01 12'");
  auto slow = sync_of(db.source({{"cursor", "updated_at"}, {"lookback", "1m"}}));
  slow["destination"]["batch_size"] = 10;
  write(slow);
  webhook.control_post("limits", {{"latency_ms", 300}});
  background_process killed({binary_path("backflow"), "run", sync, "--state", backflow.state_dir});
  for (int i = 0; i < 200 && webhook.requests()["count"].get<int>() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  killed.signal(SIGKILL);
  auto ended = killed.wait(std::chrono::seconds(60));
  BOOST_REQUIRE_EQUAL(ended.signal, SIGKILL);
  auto cut = status();
  BOOST_TEST(!cut["interrupted_run"].is_null(), cut.dump());
  BOOST_TEST(cut["cursor_mark"] == "2026-03-01T10:01:39");  // not advanced before the commit
  BOOST_TEST(cut["pending_cursor_mark"] == "2026-03-01T12:00:00");

  webhook.control_post("limits", {{"latency_ms", 0}});
  auto resumed = run(sync);
  require_ok(resumed);
  BOOST_TEST(status()["cursor_mark"] == "2026-03-01T12:00:00");
  auto got = received();
  BOOST_TEST(got.size() == 400u);
  for (int i = 0; i < 400; ++i)
    BOOST_TEST(got[id_of(i)]["fields"]["score"] == (i < 100 ? i + 1000 : i));
}

BOOST_FIXTURE_TEST_CASE(a_rejected_row_behind_the_mark_is_retried, fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 30);
  db.exec("UPDATE items SET name = 'invalid name' WHERE id = '" + id_of(3) + "'");
  webhook.control_post("rules", {{"reject_if", {{"field", "name"}, {"contains", "invalid"}}}});
  auto base = sync_of(db.source({{"cursor", "updated_at"}}));
  base["retry_rejected"] = "always";
  auto sync = write(base);
  auto first = run(sync);
  require_ok(first, 1);
  BOOST_TEST(first.summary["counts"]["rejected"] == 1);
  // The receiver is fixed; row 3 (10:00:03) lies far behind the mark (10:00:29) and did not
  // change, yet it is sent: rejects to retry make the run read the whole model.
  webhook.control_post("reset");
  auto retried = run(sync);
  require_ok(retried);
  BOOST_TEST(retried.summary["read"]["windowed"] == false);
  BOOST_TEST(retried.summary["counts"]["delivered"] == 1);
  BOOST_TEST(received()[id_of(3)]["fields"]["name"] == "invalid name");
  // With nothing left to retry, the next run reads the window again.
  auto next = run(sync);
  require_ok(next);
  BOOST_TEST(next.summary["read"]["windowed"] == true);
}

BOOST_FIXTURE_TEST_CASE(bad_incremental_settings_name_their_key_path, fixture) {
  sqlite_items db(dir, "TIMESTAMP");
  fill(db, 0, 3);
  auto sync = sync_of(db.source({{"cursor", ""}, {"lookback", "soon"}, {"deletes", "sometimes"}}));
  auto r = backflow.run({"validate", write(sync)});
  BOOST_TEST(r.exit_code == 2);
  for (auto needle : {"source.incremental.cursor", "source.incremental.lookback",
                      "source.incremental.deletes"})
    BOOST_TEST((r.out + r.err).find(needle) != std::string::npos, needle << ": " << r.out << r.err);
  sync["source"]["incremental"] = {{"cursor", "no_such_column"}};
  auto missing = run(write(sync));
  BOOST_TEST(missing.process.exit_code == 2);
  BOOST_TEST(missing.summary["error"].get<std::string>().find(
                 "source.incremental.cursor: the model returns no column \"no_such_column\"") !=
             std::string::npos);
  sync["source"]["incremental"] = {{"cursor", "name"}};
  auto text = run(write(sync));
  BOOST_TEST(text.process.exit_code == 2);
  BOOST_TEST(text.summary["error"].get<std::string>().find("neither an integer nor a date") !=
             std::string::npos, text.summary.dump());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace incremental_e2e
