// End to end, fault injection: `kill -9` of backflow while it reads the model, on the warehouse
// sources of the conformance suite (SQLite, PostgreSQL, MariaDB, ClickHouse and the Snowflake
// emulator), before the first sync and again after rows left the model (mirror mode). Clean
// runs must then converge: the webhook emulator holds exactly the model, each record upserted
// once, exactly the removed rows deleted (a partial read planned no delete), and the state reads.
//
// A kill counts only when it provably hit the read: backflow runs on a pseudo-terminal, so it
// draws its progress line ("planning: N rows read") every 200 ms; the kill follows such a line
// with 0 < N well below the model's rows, and the run then left no end, no change set and no
// request. The test paces the process (SIGSTOP/SIGCONT: 1 or 2 ms running, then 30 ms stopped,
// longer after a read that outran its first progress line) so that a small model is read for
// long enough to be cut at several points. The seed (BACKFLOW_TEST_SEED, else random) is
// printed; a replay draws the same aims and delays.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/conformance/source_adapter.hpp"
#include "tests/support/emulator_process.hpp"

namespace extract_kill {

using namespace backflow::testing;
using nlohmann::json;

namespace {

constexpr int model_rows = 60000;
// A kill counts when the line before it showed at most this many rows: the process runs at most
// a few more milliseconds before the kill, far fewer rows than the margin. A re-sync whose rows
// come from remembered unchanged spans reads about 2,500 rows a millisecond, so the margin is
// half the model.
constexpr int row_limit = model_rows / 2;
constexpr int removed_rows = 10;
constexpr int first_sync_kills = 2;
constexpr int resync_kills = 3;
// A loaded machine wakes the pacing late, so a fast read (a re-sync from remembered spans) is
// missed more often: attempts are cheap, a phase without its kills fails the test.
constexpr int max_attempts_per_phase = 20;
// Paced: the process runs a drawn slice of 1 or 2 ms, then is stopped for a while: 30 ms at
// first, twice as long after each read that outran its first progress line (a fast source).
constexpr auto first_stop_slice = std::chrono::milliseconds(30);
constexpr auto longest_stop_slice = std::chrono::milliseconds(480);

unsigned test_seed() {
  static const unsigned seed = [] {
    if (const char* fixed = std::getenv("BACKFLOW_TEST_SEED"))
      return static_cast<unsigned>(std::stoul(fixed));
    return static_cast<unsigned>(std::random_device{}());
  }();
  return seed;
}

/// The types the suite cuts: every real server, the file, and one emulator (the others read
/// through the same engine path; their parts are covered by the conformance suite).
std::vector<std::string> cut_sources() {
  return {"sqlite", "postgres", "mysql", "clickhouse", "snowflake"};
}

/// The last "planning: N rows read" in `text` with N > 0, how many such lines there were, and
/// whether the apply phase had begun.
struct progress_seen {
  uint64_t rows = 0;
  int lines = 0;
  bool applying = false;
};
progress_seen scan_progress(const std::string& text) {
  progress_seen seen;
  const std::string marker = "planning: ";
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    uint64_t n = std::strtoull(text.c_str() + at + marker.size(), nullptr, 10);
    if (n > 0) {
      seen.rows = n;
      ++seen.lines;
    }
  }
  seen.applying = text.find("applying: ") != std::string::npos;
  return seen;
}

/// One run of `backflow run` on a pseudo-terminal, paced (`run_slice` in every `run_slice` +
/// `stop_slice`), killed after its `aim_line`-th progress line that shows rows read (below
/// `row_limit`) and `delay` more running time.
struct cut_result {
  bool killed_while_reading = false;
  uint64_t rows_at_kill = 0;
  std::string output;
};

struct cut_aim {
  std::chrono::milliseconds run_slice;
  std::chrono::milliseconds stop_slice;
  int line;
  std::chrono::milliseconds delay;
};

cut_result cut_while_reading(const cli& backflow, const std::string& sync, const cut_aim& aim,
                             uint64_t row_limit) {
  const std::string binary = binary_path("backflow");
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  BOOST_REQUIRE_MESSAGE(pid >= 0, "forkpty failed");
  if (pid == 0) {
    execl(binary.c_str(), binary.c_str(), "run", sync.c_str(), "--state",
          backflow.state_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  fcntl(master, F_SETFL, O_NONBLOCK);
  cut_result r;
  auto drain = [&] {
    char buf[4096];
    for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;)
      r.output.append(buf, static_cast<size_t>(n));
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    kill(pid, SIGCONT);
    std::this_thread::sleep_for(aim.run_slice);
    kill(pid, SIGSTOP);
    drain();
    auto seen = scan_progress(r.output);
    if (seen.applying || seen.rows >= row_limit)
      break;  // past the read: a miss, cut anyway
    if (seen.lines >= aim.line) {
      kill(pid, SIGCONT);
      std::this_thread::sleep_for(aim.delay);
      kill(pid, SIGKILL);
      r.killed_while_reading = true;
      r.rows_at_kill = seen.rows;
      break;
    }
    ended = waitpid(pid, &status, WNOHANG) == pid;
    std::this_thread::sleep_for(aim.stop_slice);
  }
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  drain();
  close(master);
  // A run that ended by itself (or was cut past its read) is no kill during extraction.
  r.killed_while_reading = r.killed_while_reading && WIFSIGNALED(status) &&
                           WTERMSIG(status) == SIGKILL;
  return r;
}

/// `backflow status --json` reads the state: the last ended run's id (0 when none) and
/// whether a change set waits.
struct state_seen {
  int64_t last_run = 0;
  bool interrupted = false;
};
state_seen read_state(const cli& backflow) {
  auto r = backflow.run({"status", "--state", backflow.state_dir, "--json"});
  if (r.exit_code != 0 && r.err.find("no state in") != std::string::npos)
    return {};
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "backflow status failed: " << r.out << r.err);
  auto all = json::parse(r.out, nullptr, false);
  BOOST_REQUIRE_MESSAGE(all.is_array(), "backflow status: " << r.out);
  state_seen s;
  if (!all.empty()) {
    s.interrupted = !all[0].value("interrupted_run", json()).is_null();
    auto last = all[0].value("last_run", json());
    if (last.is_object())
      s.last_run = last.value("run_id", int64_t{0});
  }
  return s;
}

/// What the attempts that missed the read did.
struct missed_reads {
  int any = 0;       ///< attempts not killed while reading (they may have delivered rows)
  int applying = 0;  ///< of those, killed while applying: their batches in flight are sent
                     ///< again by the next run (upserts, harmless), so records may be
                     ///< upserted more than once then
};

/// Kills runs while they read until `wanted` kills landed in the read; each leaves no run
/// end, no change set and no request. Returns what the attempts that missed did.
missed_reads cut_reads(const std::string& type, const std::string& phase, int wanted, const cli& backflow,
              const std::string& sync, emulator_process& webhook, std::mt19937& rng) {
  missed_reads missed;
  int kills = 0, attempts = 0;
  auto stop_slice = first_stop_slice;
  while (kills < wanted && attempts < max_attempts_per_phase) {
    ++attempts;
    cut_aim aim{std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 2)(rng)),
                stop_slice, 1,
                std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 4)(rng))};
    auto before = read_state(backflow);
    if (before.interrupted) {
      // An earlier attempt was cut while applying: its change set is finished first (a run
      // resumes it before it reads, sending requests), so that this attempt's run only reads.
      auto settle = backflow.run_sync(sync);
      BOOST_REQUIRE_MESSAGE(settle.process.exit_code == 0, settle.process.out << settle.process.err);
      before = read_state(backflow);
    }
    auto requests = webhook.requests()["count"].get<int64_t>();
    auto cut = cut_while_reading(backflow, sync, aim, row_limit);
    auto after = read_state(backflow);  // also: the state is readable after the kill
    if (!cut.killed_while_reading) {
      auto seen = scan_progress(cut.output);
      BOOST_TEST_MESSAGE(type << " " << phase << ": attempt " << attempts << " missed the read ("
                              << seen.lines << " progress lines, last " << seen.rows
                              << " rows read" << (seen.applying ? ", applying" : "") << ")");
      // Read to the end, or before the first progress line: slow the next run down more.
      if (seen.rows >= row_limit || seen.lines == 0)
        stop_slice = std::min(stop_slice * 2, longest_stop_slice);
      ++missed.any;
      missed.applying += seen.applying ? 1 : 0;
      continue;
    }
    auto shown = cut.output.substr(cut.output.size() > 600 ? cut.output.size() - 600 : 0);
    // The progress line is drawn every 200 ms and reaches the terminal late when the process
    // is held stopped: a run may have finished its read (and recorded its change set, which
    // only a finished plan does) after the last line the test saw. That kill missed the read.
    // The progress line is drawn every 200 ms and reaches the terminal late when the process
    // is held stopped, and a loaded machine wakes the pacing late: a run may have finished its
    // read after the last line the test saw. What only a finished plan leaves says so: an end,
    // a change set, or requests. Such a kill missed the read. A kill counts only when it left
    // none of them, and each phase needs its kills (then the model is checked exactly).
    const bool ended_run = after.last_run != before.last_run;
    const bool planned = after.interrupted && !before.interrupted;
    const bool sent = webhook.requests()["count"].get<int64_t>() != requests;
    if (ended_run || planned || sent) {
      BOOST_TEST_MESSAGE(type << " " << phase << ": attempt " << attempts << " landed after the "
                              "read had finished (" << (ended_run ? "an end was recorded"
                                                        : planned ? "the change set was recorded"
                                                                  : "requests were sent")
                              << "; progress line stale): " << shown);
      ++missed.any;
      missed.applying += planned || sent ? 1 : 0;
      continue;
    }
    ++kills;
    std::cout << "extract kill [" << type << " " << phase << "]: kill " << kills << " after "
              << cut.rows_at_kill << " of " << model_rows << " rows read (paced " << aim.run_slice.count()
              << " ms in " << (aim.run_slice + aim.stop_slice).count() << ", progress line "
              << aim.line << " + " << aim.delay.count() << " ms)" << std::endl;
  }
  BOOST_TEST(kills == wanted,
             type << " " << phase << ": " << kills << " kills while reading in " << attempts
                  << " attempts");
  return missed;
}

/// The webhook's records against the model: rows n > `removed` live and upserted once, rows
/// n <= `removed` deleted once (each at least once when `resent`: a kill landed while a run
/// applied, and its batches in flight were sent again).
void expect_model(const std::string& type, emulator_process& webhook, int removed, bool resent) {
  auto records = webhook.records();
  BOOST_TEST(records.size() == static_cast<size_t>(model_rows), type << ": " << records.size());
  int wrong = 0, deleted = 0;
  for (const auto& r : records) {
    auto key = r["key"].get<std::string>();  // "user<n>@example.com"
    int n = std::atoi(key.c_str() + 4);
    bool gone = n <= removed;
    deleted += r["deleted"].get<bool>() ? 1 : 0;
    bool right = n >= 1 && n <= model_rows && key == email_of(n) &&
                 (resent ? r["upserts"] >= 1 : r["upserts"] == 1) &&
                 r["deleted"].get<bool>() == gone &&
                 (gone ? (resent ? r["deletes"] >= 1 : r["deletes"] == 1) : r["deletes"] == 0);
    if (!right && ++wrong <= 5)
      BOOST_TEST_ERROR(type << ": record " << r.dump());
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(deleted == removed);
}

struct seed_banner {
  seed_banner() {
    std::cout << "extract kill test: seed " << test_seed() << " (replay: BACKFLOW_TEST_SEED="
              << test_seed() << " ctest -R e2e_extract_kill)" << std::endl;
  }
};

}  // namespace

}  // namespace extract_kill

BOOST_AUTO_TEST_SUITE(e2e_extract_kill, *boost::unit_test::fixture<extract_kill::seed_banner>())
using namespace extract_kill;

BOOST_DATA_TEST_CASE(kill_nine_while_reading_loses_nothing,
                     boost::unit_test::data::make(cut_sources()), type) {
  const source_adapter* a = nullptr;
  for (const auto& candidate : source_adapters())
    if (candidate.type == type)
      a = &candidate;
  BOOST_REQUIRE(a != nullptr);
  std::seed_seq seq{test_seed(), static_cast<unsigned>(std::hash<std::string>{}(type))};
  std::mt19937 rng(seq);
  const auto started = std::chrono::steady_clock::now();
  temp_dir dir;
  auto warehouse = a->open(dir);
  for (const auto& sql : a->create_contacts(model_rows))
    warehouse->exec(sql);
  const std::string secret = "whsec_a2lsbC1uaW5lLXdoaWxlLXJlYWRpbmc=";
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  json sync_json = {
      {"name", "extract_kill_" + type},
      {"source", source_object(*a, *warehouse, "SELECT email, score, tier FROM contacts", "email")},
      {"destination",
       {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/backflow")}, {"secret", secret},
        {"batch_size", 1000}}},
      {"mode", "mirror"}};
  auto sync = write_sync(dir, sync_json);

  // Before the first sync: cut reads, then one clean run creates every record once.
  auto first_missed = cut_reads(type, "first sync", first_sync_kills, backflow, sync, webhook, rng);
  auto first = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  // A missed aim (cut after the read) may have delivered some or all rows already: then the
  // clean run finds them unchanged. The records are checked once, at the end, by the webhook.
  const auto& counts = first.summary["counts"];
  if (first_missed.any == 0)
    BOOST_TEST(counts["delivered"] == model_rows, first.process.out);
  BOOST_TEST(counts["delivered"].get<int>() + counts["unchanged"].get<int>() == model_rows,
             first.process.out);

  // Rows leave the model; cut reads (mirror mode: a partial read taken for the model would
  // delete what it did not reach); then a clean run deletes exactly the removed rows.
  warehouse->exec("DELETE FROM contacts WHERE n <= " + std::to_string(removed_rows));
  auto resync_missed = cut_reads(type, "re-sync", resync_kills, backflow, sync, webhook, rng);
  // (A missed aim, cut after the read, may have sent the deletes already: the webhook is the
  // judge, not the clean run's counts.)
  auto second = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(second.process.exit_code == 0, second.process.out << second.process.err);
  BOOST_TEST(second.summary["counts"]["added"] == 0, second.process.out);
  BOOST_TEST(second.summary["counts"]["changed"] == 0);
  expect_model(type, webhook, removed_rows, first_missed.applying + resync_missed.applying > 0);
  auto idle = backflow.run_sync(sync);
  BOOST_TEST(idle.process.exit_code == 0);
  BOOST_TEST(idle.summary["api_calls"] == 0, idle.process.out);
  BOOST_TEST(idle.summary["counts"]["unchanged"] == model_rows - removed_rows, idle.process.out);
  std::cout << "extract kill [" << type << "]: "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started).count()
            << " s" << std::endl;
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_extract_kill
