// Faults from the destination are survived (issue 4, promise 2): a table of faults injected into
// the emulators' answers during real `backflow run`s. For each row: the faulted run's summary
// counts are exact; where the run rightly stops, a follow-up run without the fault delivers the
// rest; the destination then holds exactly the model, each record created once; and the state is
// intact (one more run sends nothing). The rows are made in fault_table.cpp (every destination)
// and tests/destinations/<name>.cpp (its own); this file runs them.
#define BOOST_TEST_MODULE fault_matrix
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/destinations/test_destination.hpp"
#include "tests/faults/fault_table.hpp"
#include "tests/support/emulator_process.hpp"

using namespace backflow::testing;
using namespace backflow::testing::faults;
using nlohmann::json;

namespace {

/// A loopback port where nothing listens (bound, then released).
int dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// The fault matrix's view of the destination `type`; throws when it has no test entry.
const destination_faults& faults_of(const std::string& type) {
  const auto* d = find_test_destination(type);
  if (d == nullptr)
    throw std::runtime_error("destination '" + type + "' has no entry in tests/destinations");
  return d->faults;
}

json sync_for(const destination_faults& d, const contacts_model& model, const std::string& base) {
  json sync = d.sync(model, base);
  if (d.per_request > 1)
    sync["destination"]["batch_size"] = d.per_request;
  sync["delivery"] = {{"concurrency", 1},  // the nth request is the nth batch: exact counts
                      {"retry_initial", "10ms"},
                      {"retry_max", "100ms"},
                      {"request_timeout", "2s"},
                      {"max_pause", "10s"}};
  return sync;
}

/// Waits until the emulator has handled `n` API requests: a request the client gave up on
/// (read timeout) is still being answered, late, after the run ended.
void wait_for_requests(emulator_process& emu, int n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (emu.requests()["count"].get<int>() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

struct tally {
  int faults = 0;
  int runs = 0;
  int lost = 0;   ///< model rows missing at the destination in the end
  int stray = 0;  ///< records the destination still holds that left the model
  int skipped = 0;
};

std::string tail(const std::string& text, size_t n = 1500) {
  return text.size() > n ? "…" + text.substr(text.size() - n) : text;
}

/// Checks a run's summary; false (after reporting it) when there is none.
bool check_summary(const cli::run_result& r, const expect& e) {
  if (!r.summary.is_object()) {
    BOOST_ERROR("no JSON summary; exit " << r.process.exit_code << "\nstdout: "
                                         << tail(r.process.out) << "\nstderr: " << tail(r.process.err));
    return false;
  }
  const auto& c = r.summary["counts"];
  BOOST_TEST(r.process.exit_code == e.exit_code);
  BOOST_TEST(r.summary["exit_code"] == e.exit_code);
  BOOST_TEST(c["delivered"].get<int>() == e.delivered);
  BOOST_TEST(c["retried"].get<int>() == e.retried);
  BOOST_TEST(c["failed"].get<int>() == e.failed);
  BOOST_TEST(c["rejected"].get<int>() == e.rejected);
  if (e.api_calls >= 0)
    BOOST_TEST(r.summary["api_calls"].get<int>() == e.api_calls);
  if (r.process.exit_code != e.exit_code)
    BOOST_TEST_MESSAGE("summary: " << r.summary.dump() << "\nstderr: " << tail(r.process.err));
  return true;
}

void run_row(const fault_row& row, tally& t) {
  const auto started = std::chrono::steady_clock::now();
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  model->insert(first_row, first_row + rows);
  const auto& d = faults_of(row.where);
  emulator_process emu(d.emulator, d.emulator_args);
  cli backflow{dir.file("state"), {}};
  auto write = [&](const std::string& base) {
    auto sync = sync_for(d, *model, base);
    if (row.removed > 0)
      sync["mode"] = d.delete_mode;
    sync.merge_patch(row.patch);
    return write_sync(dir, sync);
  };
  const int live_from = first_row + row.removed;  // the rows the model holds in the end
  const int live = rows - row.removed;
  const int changes = row.removed > 0 ? row.removed : rows;  // what the faulted run sends

  if (row.removed > 0) {
    // Deletes: everything is synced cleanly first, then rows leave the model.
    auto setup = backflow.run_sync(write(emu.url()));
    ++t.runs;
    BOOST_TEST_CONTEXT("setup run") {
      check_summary(setup, finishes(0, rows / d.per_request * d.calls_per_batch));
    }
    std::vector<int> gone;
    for (int i = first_row; i < live_from; ++i)
      gone.push_back(i);
    model->remove(gone);
  }
  for (auto f : row.faults) {
    if (!f.contains("match"))
      f["match"] = {{"path_contains", d.api_path}};
    emu.fault(f);
  }

  // The faulted run.
  const int calls_before_fault = emu.requests()["count"].get<int>();
  // A refused connection is simulated with an address nobody listens on; the state built
  // against the emulator's address is taken over explicitly (--adopt), there and back.
  std::vector<std::string> adopt;
  if (row.refused)
    adopt.push_back("--adopt");
  auto faulted_sync = write(row.refused ? "http://127.0.0.1:" + std::to_string(dead_port())
                                        : emu.url());
  auto faulted = backflow.run_sync(faulted_sync, adopt);
  ++t.runs;
  BOOST_TEST_CONTEXT("faulted run") {
    if (!check_summary(faulted, row.run))
      return;
    if (row.min_ms > 0)
      BOOST_TEST(faulted.summary["duration_ms"].get<int>() >= row.min_ms);
    if (!row.error.empty())
      BOOST_TEST(faulted.summary.value("error", "").find(row.error) != std::string::npos,
                 "error: " << faulted.summary.value("error", "(none)"));
    if (row.run.exit_code == 0)
      BOOST_TEST(!faulted.summary.contains("error"));
  }
  if (!row.refused)  // a request the client gave up on is answered late: let it land
    wait_for_requests(emu, calls_before_fault + faulted.summary["api_calls"].get<int>());

  // A stopped run: remove the fault (and let a pause or a daily quota pass); the next run
  // finishes the change set and sends exactly the rest.
  http_call("DELETE", emu.url("/__emulator/faults"));
  auto sync = row.refused ? write(emu.url()) : faulted_sync;
  const int rest = changes - row.run.delivered - row.run.rejected;
  if (row.next_day) {
    // The pause (or the spent daily quota) outlives the process: a run before it ends does
    // not call the destination at all.
    auto impatient = backflow.run_sync(sync);
    ++t.runs;
    BOOST_TEST_CONTEXT("run during the pause") {
      check_summary(impatient, {4, 0, 0, rest, 0});
    }
    backflow.env["BACKFLOW_FAKE_NOW"] = std::to_string(std::time(nullptr) + 26 * 3600);
  }
  if (row.run.exit_code != 0 && rest > 0) {
    auto resumed = backflow.run_sync(sync, adopt);
    ++t.runs;
    BOOST_TEST_CONTEXT("follow-up run") {
      check_summary(resumed, {0, rest, 0, 0,
                              (rest + d.per_request - 1) / d.per_request * d.calls_per_batch});
      BOOST_TEST(resumed.summary["resumed"] == true);
    }
  }

  // The destination holds exactly the model, each record created once, with the model's values.
  auto holds = d.held(emu);
  int present = 0;
  for (int i = live_from; i < first_row + rows; ++i) {
    auto it = holds.find(email_of(i));
    if (it == holds.end())
      continue;
    ++present;
    BOOST_TEST(it->second.created == 1, email_of(i) << " created " << it->second.created << " times");
    if (d.keeps_scores)
      BOOST_TEST(it->second.score == std::to_string(i % 100), email_of(i) << " score");
  }
  BOOST_TEST(present == live);
  BOOST_TEST(holds.size() == static_cast<size_t>(live));  // nothing deleted lingers
  t.lost += live - present;
  t.stray += static_cast<int>(holds.size()) - present;
  if (d.counts_replays) {
    // A batch the receiver had applied before the fault came again with the same webhook-id.
    BOOST_TEST(emu.control_get("records")["duplicates"].get<int>() == row.duplicates);
  }

  // The state is intact: one more run finds nothing to send.
  auto calls_before = emu.requests()["count"].get<int>();
  auto again = backflow.run_sync(sync);
  ++t.runs;
  BOOST_TEST_CONTEXT("state check run") {
    check_summary(again, {0, 0, 0, 0, 0});
    // A rejected record's unchanged row is not sent again (retry_rejected "changed").
    BOOST_TEST(again.summary["counts"]["unchanged"] == live - row.run.rejected);
    BOOST_TEST(emu.requests()["count"].get<int>() == calls_before);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  BOOST_TEST_MESSAGE("  " << label_of(row) << ": exit "
                          << faulted.process.exit_code << ", delivered "
                          << faulted.summary["counts"]["delivered"] << ", retried "
                          << faulted.summary["counts"]["retried"] << ", failed "
                          << faulted.summary["counts"]["failed"] << ", api_calls "
                          << faulted.summary["api_calls"] << "; " << ms << " ms");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_selection_that_leaves_no_row_is_caught) {
  // The matrix below refuses to pass having run nothing; here is what it checks against.
  const auto table = fault_table();
  int skipped = 0;
  BOOST_TEST(select_rows(table, "no row is called this", false, skipped).empty());
  skipped = 0;
  const auto all = select_rows(table, "", false, skipped);
  BOOST_TEST(all.size() + skipped == table.size());
  BOOST_TEST(!all.empty());
  for (const auto& type : covered_destinations()) {
    skipped = 0;
    BOOST_TEST(!select_rows(table, type + " / ", false, skipped).empty(), type << " has no row");
  }
}

BOOST_AUTO_TEST_CASE(every_registered_destination_has_fault_rows) {
  // The matrix covers the product's registry: an entry per registered destination, and rows for
  // each entry (the generic ones at least).
  for (const auto& gap : registry_gaps(registered_destinations(), covered_destinations()))
    BOOST_ERROR(gap);
  for (const auto& type : destinations_without_rows(fault_table()))
    BOOST_ERROR("destination '" << type << "' has no fault row");
  BOOST_TEST(destinations_without_rows({}).size() == test_destinations().size());
  for (const auto& d : test_destinations()) {
    BOOST_TEST(static_cast<bool>(d.faults.sync), d.type << ": no fault-matrix sync file");
    BOOST_TEST(static_cast<bool>(d.faults.held), d.type << ": no fault-matrix view of its records");
    BOOST_TEST(!d.faults.api_path.empty(), d.type << ": no API path for faults to match");
  }
}

BOOST_AUTO_TEST_CASE(every_fault_is_survived_with_exact_counts_and_nothing_lost) {
  // FAULT_MATRIX_ONLY=text runs only the rows whose "destination / name" contains it;
  // FAULT_MATRIX_KNOWN_BUGS=1 runs the rows marked known_bug too (to check a fix).
  const char* only = std::getenv("FAULT_MATRIX_ONLY");
  const bool known_bugs = std::getenv("FAULT_MATRIX_KNOWN_BUGS") != nullptr;
  // FAULT_MATRIX_SHARD=k/n runs every n-th selected row from the k-th (ctest runs the matrix
  // as n tests at once: tests/faults/CMakeLists.txt).
  tally t;
  const auto table = fault_table();
  auto rows = select_rows(table, only != nullptr ? only : "", known_bugs, t.skipped);
  if (const char* shard = std::getenv("FAULT_MATRIX_SHARD")) {
    unsigned k = 0, n = 1;
    BOOST_REQUIRE_MESSAGE(std::sscanf(shard, "%u/%u", &k, &n) == 2 && n > 0 && k < n,
                          "FAULT_MATRIX_SHARD=" << shard << ": expected k/n with k < n");
    std::vector<fault_row> mine;
    for (size_t i = k; i < rows.size(); i += n)
      mine.push_back(rows[i]);
    rows = std::move(mine);
  }
  BOOST_REQUIRE_MESSAGE(!rows.empty(),
                        "the fault matrix has no row to run: " << table.size() << " rows, "
                            << t.skipped << " known bugs skipped, FAULT_MATRIX_ONLY="
                            << (only != nullptr ? only : "(unset)"));
  for (const auto& row : table)
    if (!row.known_bug.empty() && !known_bugs &&
        (only == nullptr || label_of(row).find(only) != std::string::npos))
      BOOST_TEST_MESSAGE("  SKIPPED (known bug) " << label_of(row) << ": " << row.known_bug);
  const auto started = std::chrono::steady_clock::now();
  for (const auto& row : rows) {
    ++t.faults;
    BOOST_TEST_CONTEXT(label_of(row)) {
      run_row(row, t);
    }
  }
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  BOOST_TEST_MESSAGE("fault matrix: " << t.faults << " faults tried, " << t.runs
                                      << " runs, records lost " << t.lost << ", stray " << t.stray
                                      << " (" << t.skipped << " known bugs skipped; " << s << " s)");
  BOOST_TEST(t.faults == static_cast<int>(rows.size()));
  BOOST_TEST(t.runs >= t.faults, "fewer backflow runs than rows: a row returned before running");
  BOOST_TEST(t.lost == 0);
  BOOST_TEST(t.stray == 0);
}
