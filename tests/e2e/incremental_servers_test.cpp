// End to end: incremental reads by cursor from PostgreSQL and ClickHouse models to the webhook
// emulator (the servers' own timestamp types and windows); the SQLite cases are in
// incremental_test.cpp.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "tests/e2e/incremental_support.hpp"
#include "tests/sources/clickhouse_server.hpp"

namespace incremental_e2e {

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
