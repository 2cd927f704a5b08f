// End to end: incremental reads by cursor (source.incremental), SQLite and PostgreSQL models to
// the webhook emulator through the backflow binary: windows, late rows, deletes, NULL cursors,
// clock skew, a kill -9 before the commit, and rejected rows retried behind the mark.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <map>
#include <stdexcept>
#include <thread>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/clickhouse_server.hpp"
#include "tests/support/emulator_process.hpp"

namespace incremental_e2e {

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("e2e-incremental-secret");

/// A table `items (id, name, score, updated_at)` in a SQLite file; `updated_at` is declared
/// `cursor_type` (TEXT timestamps, INTEGER versions).
class sqlite_items {
 public:
  sqlite_items(const temp_dir& dir, const std::string& cursor_type)
      : path_(dir.file("warehouse.sqlite")) {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path_);
    exec("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT, score INTEGER, updated_at " +
         cursor_type + ")");
  }
  ~sqlite_items() { sqlite3_close(db_); }
  sqlite_items(const sqlite_items&) = delete;
  sqlite_items& operator=(const sqlite_items&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  [[nodiscard]] json source(const json& incremental) const {
    return {{"type", "sqlite"},
            {"path", path_},
            {"query", "SELECT id, name, score, updated_at FROM items"},
            {"key", "id"},
            {"incremental", incremental}};
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

std::string id_of(int i) { return "item-" + std::to_string(i); }

/// "2026-03-01 10:MM:SS" for second `s` of the hour (s < 3600).
std::string at(int s, const std::string& day = "2026-03-01", int hour = 10) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d", day.c_str(), hour, s / 60, s % 60);
  return buf;
}

struct fixture {
  temp_dir dir;
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  json sync_of(const json& source, const std::string& mode = "mirror") {
    return {{"name", "items_to_webhook"},
            {"source", source},
            {"destination",
             {{"type", "webhook"},
              {"endpoint", webhook.url("/hooks/backflow")},
              {"secret", secret},
              {"batch_size", 50}}},
            {"mode", mode},
            {"mapping", {{{"from", "name"}, {"to", "name"}}, {{"from", "score"}, {"to", "score"}}}},
            {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
  }
  std::string write(const json& sync) { return write_sync(dir, sync); }
  std::map<std::string, json> received() {
    std::map<std::string, json> out;
    for (auto& r : webhook.records())
      out[r["key"].get<std::string>()] = r;
    return out;
  }
  cli::run_result run(const std::string& sync, const std::map<std::string, std::string>& env = {}) {
    cli c = backflow;
    for (const auto& [k, v] : env)
      c.env[k] = v;
    auto r = c.run_sync(sync);
    BOOST_TEST_MESSAGE("run: " << r.summary.dump());
    return r;
  }
  json status() {
    auto p = backflow.run({"status", "--state", backflow.state_dir, "--json"});
    auto all = json::parse(p.out, nullptr, false);
    return all.is_array() && !all.empty() ? all[0] : json();
  }
};

void require_ok(const cli::run_result& r, int code = 0) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code,
                        "exit " << r.process.exit_code << ": " << r.process.out << r.process.err);
}

/// Inserts rows [from, to) with updated_at at second i of the hour.
void fill(sqlite_items& db, int from, int to) {
  db.exec("BEGIN");
  for (int i = from; i < to; ++i)
    db.exec("INSERT INTO items VALUES ('" + id_of(i) + "', 'Name " + std::to_string(i) + "', " +
            std::to_string(i) + ", '" + at(i) + "')");
  db.exec("COMMIT");
}

}  // namespace

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

BOOST_AUTO_TEST_SUITE(e2e_incremental_postgres)

/// A timestamptz cursor in PostgreSQL: the bound is an instant, so offsets count, not the
/// digits of the wall time; the key scan finds deletes.
BOOST_FIXTURE_TEST_CASE(a_timestamptz_cursor_compares_instants_across_offsets, fixture) {
  auto model = postgres_contacts();
  auto table = model->table() + "_items";
  model->exec("CREATE TABLE " + table +
              " (id text PRIMARY KEY, name text, score integer, updated_at timestamptz)");
  for (int i = 0; i < 50; ++i)
    model->exec("INSERT INTO " + table + " VALUES ('" + id_of(i) + "', 'n', " + std::to_string(i) +
                ", '" + at(i) + "+00')");
  auto source = model->source();
  source["query"] = "SELECT id, name, score, updated_at FROM " + table;
  source["key"] = "id";
  source["incremental"] = {{"cursor", "updated_at"}, {"lookback", "1m"}};
  auto sync = write(sync_of(source));
  auto first = run(sync);
  require_ok(first);
  BOOST_TEST(first.summary["counts"]["delivered"] == 50);

  // Mark 10:00:49Z, window from 09:59:49Z. Row 3's wall time looks later but is 09:30Z: not
  // read. Row 4's looks earlier but is 10:05Z: read. Row 9 leaves the model.
  model->exec("UPDATE " + table + " SET score = 303, updated_at = '2026-03-01 14:30:00+05:00' WHERE id = '" +
              id_of(3) + "'");
  model->exec("UPDATE " + table + " SET score = 404, updated_at = '2026-03-01 05:05:00-05:00' WHERE id = '" +
              id_of(4) + "'");
  model->exec("DELETE FROM " + table + " WHERE id = '" + id_of(9) + "'");
  auto second = run(sync);
  require_ok(second);
  BOOST_TEST(second.summary["read"]["windowed"] == true);
  BOOST_TEST(second.summary["read"]["from"] == "2026-03-01T09:59:49.000000+00:00");
  BOOST_TEST(second.summary["read"]["rows_read"] == 50 - 1 - 1);  // all but rows 3 and 9
  BOOST_TEST(second.summary["read"]["keys_scanned"] == 49);
  BOOST_TEST(second.summary["counts"]["changed"] == 1);
  BOOST_TEST(second.summary["counts"]["deleted"] == 1);
  auto got = received();
  BOOST_TEST(got[id_of(4)]["fields"]["score"] == 404);
  BOOST_TEST(got[id_of(3)]["fields"]["score"] == 3);
  BOOST_TEST(got[id_of(9)]["deleted"] == true);
  auto mark = second.summary["read"]["mark_after"].get<std::string>();
  BOOST_TEST((mark == "2026-03-01T10:05:00+00:00" || mark.find("2026-03-01T") == 0), mark);
  auto third = run(sync);
  require_ok(third);
  BOOST_TEST(third.summary["read"]["from"] == "2026-03-01T10:04:00.000000+00:00");
  BOOST_TEST(third.summary["read"]["rows_read"] == 1);
  model->exec("DROP TABLE " + table);
}

BOOST_FIXTURE_TEST_CASE(a_bigint_cursor_is_bound_as_the_columns_type, fixture) {
  auto model = postgres_contacts();
  auto table = model->table() + "_versions";
  model->exec("CREATE TABLE " + table + " (id text PRIMARY KEY, name text, score integer, version bigint)");
  for (int i = 0; i < 20; ++i)
    model->exec("INSERT INTO " + table + " VALUES ('" + id_of(i) + "', 'n', " + std::to_string(i) +
                ", " + std::to_string(9007199254740993LL + i) + ")");
  model->exec("UPDATE " + table + " SET version = NULL WHERE id = '" + id_of(0) + "'");
  auto source = model->source();
  source["query"] = "SELECT id, name, score, version FROM " + table;
  source["key"] = "id";
  source["incremental"] = {{"cursor", "version"}, {"deletes", "none"}};
  auto sync = write(sync_of(source));
  require_ok(run(sync));
  model->exec("UPDATE " + table + " SET score = 55, version = 9007199254741100 WHERE id = '" + id_of(5) + "'");
  auto second = run(sync);
  require_ok(second);
  BOOST_TEST(second.summary["read"]["from"] == "9007199254741012");
  BOOST_TEST(second.summary["read"]["rows_read"] == 3);  // the mark's row, the NULL one, row 5
  BOOST_TEST(second.summary["counts"]["changed"] == 1);
  BOOST_TEST(received()[id_of(5)]["fields"]["score"] == 55);
  model->exec("DROP TABLE " + table);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(e2e_incremental_clickhouse)

/// A DateTime('Europe/Paris') cursor in ClickHouse (18.16: no query parameters; the bound is an
/// escaped literal): the window compares instants, NULL cursors are read every run, the key scan
/// finds deletes (a mutation), and a row touched but unchanged is not resent.
BOOST_FIXTURE_TEST_CASE(a_datetime_cursor_reads_the_window_and_scans_keys, fixture) {
  clickhouse_server ch;
  ch.exec("CREATE TABLE {d}.items (id String, name String, score Int64, "
          "updated_at Nullable(DateTime('Europe/Paris'))) ENGINE = MergeTree ORDER BY id");
  ch.exec("INSERT INTO {d}.items SELECT concat('item-', toString(number)), 'n', number, "
          "if(number = 0, NULL, toDateTime('2026-03-01 10:00:00', 'UTC') + number) "
          "FROM numbers(50)");
  auto source = ch.options();
  source["type"] = "clickhouse";
  source["query"] = "SELECT id, name, score, updated_at FROM " + ch.database() + ".items";
  source["key"] = "id";
  source["incremental"] = {{"cursor", "updated_at"}, {"lookback", "1m"}};
  auto sync = write(sync_of(source));
  auto first = run(sync);
  require_ok(first);
  BOOST_TEST(first.summary["counts"]["delivered"] == 50);
  BOOST_TEST(first.summary["read"]["mark_after"] == "2026-03-01T10:00:49+00:00");

  // Window from 09:59:49Z. Row 3 moves to 12:00 Paris (11:00Z): read and sent. Row 4 is touched
  // (same values, later time): read, not sent. Row 9 leaves the model.
  ch.exec("ALTER TABLE {d}.items UPDATE score = 303, updated_at = toDateTime('2026-03-01 "
          "11:00:00', 'UTC') WHERE id = 'item-3'");
  ch.exec("ALTER TABLE {d}.items UPDATE updated_at = toDateTime('2026-03-01 11:00:00', 'UTC') "
          "WHERE id = 'item-4'");
  ch.exec("ALTER TABLE {d}.items DELETE WHERE id = 'item-9'");
  for (int i = 0; i < 300 && ch.exec("SELECT count() FROM system.mutations WHERE database = '" +
                                     ch.database() + "' AND is_done = 0") != "0\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto second = run(sync);
  require_ok(second);
  BOOST_TEST(second.summary["read"]["windowed"] == true);
  BOOST_TEST(second.summary["read"]["from"] == "2026-03-01T09:59:49.000000+00:00");
  BOOST_TEST(second.summary["read"]["rows_read"] == 49);  // all within the lookback, NULL too
  BOOST_TEST(second.summary["read"]["keys_scanned"] == 49);
  BOOST_TEST(second.summary["counts"]["changed"] == 1);
  BOOST_TEST(second.summary["counts"]["deleted"] == 1);
  BOOST_TEST(second.summary["read"]["mark_after"] == "2026-03-01T11:00:00+00:00");
  auto got = received();
  BOOST_TEST(got[id_of(3)]["fields"]["score"] == 303);
  BOOST_TEST(got[id_of(9)]["deleted"] == true);
  auto third = run(sync);
  require_ok(third);
  BOOST_TEST(third.summary["read"]["from"] == "2026-03-01T10:59:00.000000+00:00");
  BOOST_TEST(third.summary["read"]["rows_read"] == 3);  // rows 3 and 4, and the NULL row 0
  BOOST_TEST(third.summary["counts"]["delivered"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace incremental_e2e
