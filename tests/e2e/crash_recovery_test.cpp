// End to end, fault injection: `kill -9` of backflow at random moments of plan and apply, again
// and again, while the model keeps changing, in each mode HubSpot offers for a full sync
// (upsert, mirror, insert). A final clean run must converge: the emulator holds exactly the
// model's rows, each created once, what left the model is archived (mirror) or left alone
// (upsert, insert), nothing is left to do, and the records sent beyond the changes made are
// bounded by the batches in flight at each kill.
//
// The seed (BACKFLOW_TEST_SEED, else random) is printed first; every mode derives its own RNGs
// from it, so a replay draws the same model changes round by round and the same kill aims and
// delays. Where a kill lands still depends on the machine's speed: a replay reproduces the
// schedule, not the exact interleaving (nor, therefore, the number of rounds).
//
// A kill counts only when it hit a run that was still going; its phase is read from the state
// afterwards (`backflow status --json`): an interrupted change set means it was cut during apply
// (first apply or a resumed one), none means during plan (start-up, extract, diff).
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

namespace crash_recovery {

using namespace backflow::testing;
using nlohmann::json;

namespace {

// Volumes and pacing: three modes must finish well inside 3 minutes on 2 cores.
constexpr int initial_rows = 20000;
constexpr int added_per_round = 1000;
constexpr int changed_per_round = 800;
constexpr int deleted_per_round = 150;
constexpr int latency_ms = 40;   // per API request: makes apply last long enough to be cut
constexpr int concurrency = 4;   // requests in flight
constexpr int batch_size = 100;  // HubSpot's maximum inputs per batch
// Kill quotas per mode (3 modes: at least 30 kills per run), and a cap on attempts.
constexpr int min_kills = 12;
constexpr int min_plan_kills = 3;
constexpr int min_apply_kills = 6;
constexpr int max_attempts = 70;
constexpr double plan_target_share = 0.35;  // attempts aimed at the plan phase

unsigned test_seed() {
  static const unsigned seed = [] {
    if (const char* fixed = std::getenv("BACKFLOW_TEST_SEED"))
      return static_cast<unsigned>(std::stoul(fixed));
    return static_cast<unsigned>(std::random_device{}());
  }();
  return seed;
}

/// What each mode sends (see actors/change_routing.hpp).
struct mode_spec {
  std::string name;
  bool sends_changes;    ///< changed rows are written again (insert: the hash is adopted)
  bool archives_deletes; ///< rows that left the model are archived (mirror); else left alone
  std::string write_endpoint;
};

const std::vector<mode_spec>& mode_specs() {
  static const std::vector<mode_spec> specs = {
      {"upsert", true, false, "POST /crm/v3/objects/contacts/batch/upsert"},
      {"mirror", true, true, "POST /crm/v3/objects/contacts/batch/upsert"},
      {"insert", false, false, "POST /crm/v3/objects/contacts/batch/create"},
  };
  return specs;
}

/// Figures of all modes, printed at the end of the run (docs/RELIABILITY.md quotes them).
struct totals {
  int modes = 0;
  int kills = 0;
  int plan_kills = 0;
  int apply_kills = 0;
  int64_t rows = 0;
  int64_t lost = 0;
  int64_t duplicates = 0;
};
totals& grand_totals() {
  static totals t;
  return t;
}

struct seed_banner {
  seed_banner() {
    auto seed = test_seed();
    std::cout << "crash test: seed " << seed << " (replay: BACKFLOW_TEST_SEED=" << seed
              << " ctest -R e2e_crash_recovery; one mode: BACKFLOW_TEST_SEED=" << seed
              << " e2e --run_test=e2e_crash_recovery/kill_nine_in_every_mode/_1 for mirror)"
              << std::endl;
  }
  ~seed_banner() {
    const auto& t = grand_totals();
    if (t.modes == 0)
      return;
    std::cout << "crash test: seed " << test_seed() << ", " << t.kills << " kills (" << t.plan_kills
              << " during plan, " << t.apply_kills << " during apply), " << t.rows << " rows, "
              << "records lost " << t.lost << ", duplicates " << t.duplicates << std::endl;
  }
};

std::vector<int> pick(const std::set<int>& from, size_t n, std::mt19937& rng) {
  std::vector<int> all(from.begin(), from.end());
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(std::min(n, all.size()));
  return all;
}

/// Where a sync stands, from `backflow status --json`.
struct sync_status {
  bool interrupted = false;  ///< a change set is waiting to be finished (cut during apply)
  int64_t pending_changes = 0;
  int64_t last_run = 0;      ///< id of the last run that recorded its end
};

sync_status read_status(const cli& backflow, const std::string& sync) {
  auto r = backflow.run({"status", "--state", backflow.state_dir, "--json"});
  if (r.exit_code != 0 && r.err.find("no state in") != std::string::npos)
    return {};  // no run got as far as creating the state directory
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "backflow status failed: " << r.out << r.err);
  auto all = json::parse(r.out, nullptr, false);
  sync_status s;
  if (all.is_array() && !all.empty()) {
    const auto& e = all.front();
    s.interrupted = !e.value("interrupted_run", json()).is_null();
    s.pending_changes = e.value("pending_changes", int64_t{0});
    auto last = e.value("last_run", json());
    if (last.is_object())
      s.last_run = last.value("run_id", int64_t{0});
    return s;
  }
  // `status` lists a sync once one of its runs has ended; before that, `plan` says whether a
  // change set was interrupted (and plans, sending nothing, when none was).
  auto p = backflow.run({"plan", sync, "--state", backflow.state_dir, "--json"});
  auto summary = json::parse(p.out, nullptr, false);
  BOOST_REQUIRE_MESSAGE(summary.is_object(), "backflow plan failed: " << p.out << p.err);
  auto error = summary.value("error", std::string());
  s.interrupted = error.find("was interrupted") != std::string::npos;
  return s;
}

/// Inputs the emulator received on write endpoints (read-backs are not sends).
int64_t write_inputs(const json& requests) {
  int64_t n = 0;
  for (const auto& [endpoint, stats] : requests["by_endpoint"].items())
    for (const char* action : {"/batch/upsert", "/batch/create", "/batch/update", "/batch/archive"})
      if (endpoint.size() >= std::char_traits<char>::length(action) &&
          endpoint.compare(endpoint.size() - std::char_traits<char>::length(action),
                           std::string::npos, action) == 0)
        n += stats["inputs"].get<int64_t>();
  return n;
}

double score_of(const json& record) {
  auto s = record["properties"].value("score", std::string());
  return s.empty() ? -1e300 : std::stod(s);
}

void run_mode(const mode_spec& spec, size_t mode_index) {
  const auto seed = test_seed();
  // Two streams: the model's changes stay the same in a replay whatever the kills did; the
  // kills' aims and delays come from their own stream.
  std::seed_seq model_seq{seed, static_cast<unsigned>(mode_index), 1u};
  std::seed_seq kill_seq{seed, static_cast<unsigned>(mode_index), 2u};
  std::mt19937 rng(model_seq);
  std::mt19937 kill_rng(kill_seq);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto mode_started = std::chrono::steady_clock::now();

  temp_dir dir;
  auto model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot",
                           {"--per-10s", "0", "--daily", "0", "--latency-ms",
                            std::to_string(latency_ms)}};
  auto sync_json = hubspot_sync(*model, hubspot.url(), spec.name);
  sync_json["delivery"]["concurrency"] = concurrency;
  sync_json["destination"]["batch_size"] = batch_size;
  auto sync = write_sync(dir, sync_json);
  cli backflow{dir.file("state"), {}};

  // The model as the test knows it: live rows, every score each row ever had, deleted rows.
  std::set<int> live;
  std::set<int> deleted;
  std::map<int, std::vector<double>> scores;
  std::map<int, double> current;
  int next_row = 0;
  int64_t added = 0, changed_n = 0, deleted_n = 0;
  int64_t sendable_changes = 0;  // changes the mode sends (the bound on re-sends adds to it)
  auto add_rows = [&](int n) {
    model->insert(next_row, next_row + n);
    for (int i = next_row; i < next_row + n; ++i) {
      live.insert(i);
      current[i] = i % 100;
      scores[i].push_back(i % 100);
    }
    next_row += n;
    added += n;
    sendable_changes += n;
  };
  add_rows(initial_rows);

  int attempts = 0, kills = 0, plan_kills = 0, apply_kills = 0, late_kills = 0, misses = 0,
      clean_runs = 0;
  auto status = read_status(backflow, sync);
  auto quota_met = [&] {
    return kills >= min_kills && plan_kills >= min_plan_kills && apply_kills >= min_apply_kills;
  };
  while (!quota_met() && attempts < max_attempts) {
    ++attempts;
    // Aim at plan or apply. A run first finishes an interrupted change set, so to aim at a plan
    // the pending one is finished by a clean run first (before the model moves on, so the killed
    // run has changes to plan). The delay is drawn over the phase's expected span (apply: the
    // batches to send at `latency_ms`, `concurrency` at a time).
    bool drawn_plan = unit(kill_rng) < plan_target_share;
    bool aim_plan = drawn_plan || (plan_kills < min_plan_kills && kills + 2 >= min_kills);
    if (aim_plan && status.interrupted) {
      auto clean = backflow.run_sync(sync);
      BOOST_REQUIRE_MESSAGE(clean.process.exit_code == 0,
                            spec.name << ": a clean run failed: " << clean.process.out
                                      << clean.process.err);
      ++clean_runs;
      status = read_status(backflow, sync);
    }
    if (attempts > 1) {  // the model moves on between rounds
      add_rows(added_per_round);
      auto changed = pick(live, changed_per_round, rng);
      model->bump_scores(changed, attempts);
      for (int c : changed) {
        current[c] += attempts;
        scores[c].push_back(current[c]);
      }
      changed_n += static_cast<int64_t>(changed.size());
      auto gone = pick(live, deleted_per_round, rng);
      model->remove(gone);
      for (int g : gone) {
        live.erase(g);
        deleted.insert(g);
      }
      deleted_n += static_cast<int64_t>(gone.size());
      if (spec.sends_changes)
        sendable_changes += static_cast<int64_t>(changed.size());
      if (spec.archives_deletes)
        sendable_changes += static_cast<int64_t>(gone.size());
    }

    int work = (spec.sends_changes ? added_per_round + changed_per_round : added_per_round) +
               (spec.archives_deletes ? deleted_per_round : 0);
    if (attempts == 1)
      work = initial_rows;
    const int plan_ms = 30 + static_cast<int>(live.size()) / 250;  // start-up, extract, diff
    const int apply_ms =
        (work + static_cast<int>(status.pending_changes) + batch_size - 1) / batch_size *
        latency_ms / concurrency;
    int delay = aim_plan ? std::uniform_int_distribution<int>(5, plan_ms)(kill_rng)
                         : plan_ms + std::uniform_int_distribution<int>(0, apply_ms)(kill_rng);

    background_process run({binary_path("backflow"), "run", sync, "--state", backflow.state_dir,
                            "--json"});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    bool signalled = false;
    if (run.running()) {
      run.signal(SIGKILL);
      signalled = true;
    }
    auto ended = run.wait(std::chrono::seconds(120));
    BOOST_REQUIRE_MESSAGE(ended.signal == SIGKILL || ended.exit_code == 0,
                          spec.name << ": a run failed on its own (exit " << ended.exit_code
                                    << ", signal " << ended.signal << "): " << ended.out
                                    << ended.err);
    auto after = read_status(backflow, sync);
    if (!signalled || ended.signal != SIGKILL) {
      ++misses;  // the run was over before the kill: it must have finished cleanly
      BOOST_TEST(!after.interrupted, spec.name << ": a run ended 0 but left changes");
    } else if (after.last_run != status.last_run) {
      ++late_kills;  // the run had recorded its end; only the process's exit was cut
    } else if (after.interrupted) {
      ++kills;
      ++apply_kills;
    } else {
      ++kills;
      ++plan_kills;
    }
    status = after;
  }
  BOOST_TEST_MESSAGE(spec.name << ": " << attempts << " attempts, " << kills << " kills, "
                               << misses << " missed, " << late_kills << " late, " << clean_runs
                               << " clean runs in between");
  BOOST_TEST(kills >= min_kills);
  BOOST_TEST(plan_kills >= min_plan_kills);
  BOOST_TEST(apply_kills >= min_apply_kills);

  auto final_run = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(final_run.process.exit_code == 0,
                        spec.name << ": the final run failed: " << final_run.process.out
                                  << final_run.process.err);

  // The destination against the model: every live row exactly once, current (or, in insert
  // mode, as it was when created); what left the model archived (mirror) or untouched.
  std::map<std::string, int> row_of;
  for (int i = 0; i < next_row; ++i)
    row_of[email_of(i)] = i;
  std::map<std::string, json> by_email;
  int64_t duplicates = 0, lost = 0, stale = 0;
  for (auto& r : hubspot.records()) {
    auto email = r["properties"].value("email", std::string());
    if (r["creations"].get<int>() != 1) {
      ++duplicates;
      BOOST_TEST_ERROR(spec.name << ": created " << r["creations"] << " times: " << r.dump());
    }
    if (!by_email.emplace(email, r).second) {
      ++duplicates;
      BOOST_TEST_ERROR(spec.name << ": two records for " << email);
    }
  }
  for (int i : live) {
    auto it = by_email.find(email_of(i));
    if (it == by_email.end() || it->second["archived"].get<bool>()) {
      ++lost;
      if (lost <= 10)
        BOOST_TEST_ERROR(spec.name << ": row " << i << " is missing from HubSpot"
                                   << (it == by_email.end() ? "" : " (archived)"));
      continue;
    }
    auto got = score_of(it->second);
    const auto& history = scores[i];
    bool right = spec.sends_changes
                     ? got == current[i]
                     : std::find(history.begin(), history.end(), got) != history.end();
    if (!right) {
      ++lost;  // a change that never arrived
      if (lost <= 10)
        BOOST_TEST_ERROR(spec.name << ": row " << i << " has score " << got << ", the model "
                                   << current[i]);
    }
  }
  int64_t archived = 0;
  for (const auto& [email, r] : by_email) {
    auto row = row_of.find(email);
    bool is_archived = r["archived"].get<bool>();
    archived += is_archived ? 1 : 0;
    if (row == row_of.end()) {
      ++stale;
      BOOST_TEST_ERROR(spec.name << ": a record the model never had: " << r.dump());
    } else if (deleted.count(row->second) != 0 && is_archived != spec.archives_deletes) {
      // Rows deleted before they were ever delivered never arrive; the others are archived in
      // mirror mode and left alone otherwise.
      ++stale;
      if (stale <= 10)
        BOOST_TEST_ERROR(spec.name << ": row " << row->second << " left the model but is "
                                   << (is_archived ? "archived" : "still live"));
    }
  }
  BOOST_TEST(lost == 0);
  BOOST_TEST(duplicates == 0);
  BOOST_TEST(stale == 0);

  // Insert mode never re-sends a create blindly: a create the emulator already had would be
  // answered CONFLICT (207 per input, or 409 for the batch).
  auto requests = hubspot.requests();
  int64_t conflicts = 0;
  int64_t read_back = 0;  // records looked up before creating (after a crash, a timeout, a 5xx)
  if (spec.name == "insert") {
    read_back = requests["by_endpoint"]
                    .value("POST /crm/v3/objects/contacts/batch/read", json::object())
                    .value("inputs", int64_t{0});
    auto create = requests["by_endpoint"].value(spec.write_endpoint, json::object());
    auto statuses = create.value("status", json::object());
    for (const auto& [code, n] : statuses.items())
      if (code == "207" || code == "409")
        conflicts += n.get<int64_t>();
    BOOST_TEST(conflicts == 0, spec.name << ": " << conflicts
                                         << " creates were answered CONFLICT (re-sent blindly)");
  }

  // Everything sent beyond the changes made is bounded by the batches in flight at each kill.
  auto sent = write_inputs(requests);
  const int64_t all_kills = kills + late_kills;
  const int64_t bound = sendable_changes + all_kills * concurrency * batch_size;
  BOOST_TEST(sent <= bound, spec.name << ": sent " << sent << " records for " << sendable_changes
                                      << " changes and " << all_kills << " kills");

  // The state agrees with the destination: nothing left to do.
  auto idle = backflow.run_sync(sync);
  BOOST_TEST(idle.process.exit_code == 0);
  BOOST_TEST(idle.summary["api_calls"] == 0, spec.name << ": " << idle.process.out);
  // Insert mode never updates: rows whose values moved on since their create are counted as
  // not updated, and stay different from the destination's version until an upsert run.
  BOOST_TEST(idle.summary["counts"]["unchanged"].get<int64_t>() +
                 idle.summary["counts"]["not_updated"].get<int64_t>() ==
             static_cast<int64_t>(live.size()));
  if (spec.sends_changes)
    BOOST_TEST(idle.summary["counts"]["not_updated"] == 0);

  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - mode_started)
                     .count();
  std::cout << "crash test [" << spec.name << "]: seed " << seed << ", " << kills << " kills ("
            << plan_kills << " during plan, " << apply_kills << " during apply; " << misses
            << " missed, " << late_kills << " late), " << live.size() << " rows (" << initial_rows
            << " initial, " << added - initial_rows << " added, " << changed_n << " changed, "
            << deleted_n << " deleted), records lost " << lost << ", duplicates " << duplicates
            << ", stale " << stale << ", archived " << archived << ", sent " << sent << " for "
            << sendable_changes << " changes (bound " << bound << ")"
            << (spec.name == "insert" ? ", create conflicts " + std::to_string(conflicts) +
                                                ", read back " + std::to_string(read_back)
                                          : "")
            << ", " << attempts << " runs killed or tried, " << clean_runs << " clean, "
            << static_cast<int>(seconds) << " s" << std::endl;

  auto& t = grand_totals();
  ++t.modes;
  t.kills += kills;
  t.plan_kills += plan_kills;
  t.apply_kills += apply_kills;
  t.rows += static_cast<int64_t>(live.size());
  t.lost += lost;
  t.duplicates += duplicates;
}

}  // namespace

}  // namespace crash_recovery

// The seed is printed once before the suite and the totals after it.
BOOST_AUTO_TEST_SUITE(e2e_crash_recovery, *boost::unit_test::fixture<crash_recovery::seed_banner>())
using namespace crash_recovery;

BOOST_DATA_TEST_CASE(kill_nine_in_every_mode,
                     boost::unit_test::data::xrange(mode_specs().size()), mode_index) {
  const auto& spec = mode_specs()[mode_index];
  BOOST_TEST_CONTEXT("mode " << spec.name << ", seed " << test_seed()) {
    run_mode(spec, mode_index);
  }
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_crash_recovery
