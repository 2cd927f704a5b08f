// The conformance suite: the same end-to-end scenarios against every registered destination and
// its emulator, through the real backflow binary. A destination registered without an adapter
// (or an emulator) fails here.
#define BOOST_TEST_MODULE conformance
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "emulators/registry.hpp"
#include "tests/conformance/destination_adapter.hpp"
#include "tests/destinations/test_destination.hpp"

using namespace backflow::testing;
using nlohmann::json;
namespace data = boost::unit_test::data;

namespace {

/// The destination registry's types: every scenario runs for each of them.
std::vector<std::string> registered_names() {
  return registered_destinations();
}

/// The destinations this process runs the scenarios for: all of them, or with
/// CONFORMANCE_SHARD=k/n every n-th from the k-th (ctest runs the suite as n tests at once:
/// tests/conformance/CMakeLists.txt).
std::vector<std::string> scenario_names() {
  auto names = registered_names();
  const char* shard = std::getenv("CONFORMANCE_SHARD");
  if (shard == nullptr)
    return names;
  unsigned k = 0, n = 1;
  if (std::sscanf(shard, "%u/%u", &k, &n) != 2 || n == 0 || k >= n)
    throw std::runtime_error(std::string("CONFORMANCE_SHARD=") + shard + ": expected k/n with k < n");
  std::vector<std::string> mine;
  for (size_t i = k; i < names.size(); i += n)
    mine.push_back(names[i]);
  return mine;
}

const destination_adapter& adapter(const std::string& type) {
  const auto* d = find_test_destination(type);
  if (d == nullptr || !d->conformance.sync)
    throw std::runtime_error("destination '" + type + "' has no conformance adapter "
                             "(tests/destinations/" + type + ".cpp)");
  return d->conformance;
}

/// The backflow-emulator name that stands in for a destination type.
std::string emulator_of(const std::string& type) {
  const auto* e = backflow::emulators::find_emulator_for(type);
  if (e == nullptr)
    throw std::runtime_error("destination '" + type + "' has no emulator in emulators/registry.cpp");
  return e->name;
}

/// One destination's emulator, a SQLite contacts model, a state directory and a sync file.
struct fixture {
  const destination_adapter& a;
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process emulator;
  cli backflow{dir.file("state"), {}};
  std::string sync;

  explicit fixture(const std::string& type, std::vector<std::string> extra = {})
      : a(adapter(type)), emulator(emulator_of(type), with(a.emulator_args, std::move(extra))) {
    sync = write_sync(dir, a.sync(*model, emulator));
  }

  static std::vector<std::string> with(std::vector<std::string> args,
                                       std::vector<std::string> extra) {
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  cli::run_result run(int expected_exit = 0) {
    auto r = backflow.run_sync(sync);
    BOOST_REQUIRE_MESSAGE(r.process.exit_code == expected_exit,
                          a.type << ": exit " << r.process.exit_code << ", want " << expected_exit
                                 << "\n" << r.process.out << r.process.err);
    return r;
  }

  /// The destination holds exactly these model rows.
  void expect_live(const std::set<int>& rows, const std::set<std::string>& extra = {}) {
    std::set<std::string> expected;
    for (int i : rows)
      expected.insert(a.key_of(email_of(i)));
    for (const auto& k : extra)
      expected.insert(a.key_of(k));
    std::set<std::string> actual;
    for (const auto& [key, fields] : a.live(emulator))
      actual.insert(key);
    BOOST_TEST(actual.size() == expected.size(), a.type);
    BOOST_TEST((actual == expected), a.type << ": the destination does not hold the model's rows");
    BOOST_TEST(a.created_twice(emulator).empty(), a.type << ": " << a.created_twice(emulator));
  }

  int64_t calls() { return emulator.requests()["count"].get<int64_t>(); }
};

std::set<int> range(int from, int to) {
  std::set<int> s;
  for (int i = from; i < to; ++i)
    s.insert(i);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_registered_destination_has_an_adapter_and_an_emulator) {
  const auto registered = registered_names();
  BOOST_TEST(registered.size() >= 4u);
  for (const auto& gap : registry_gaps(registered, covered_destinations()))
    BOOST_ERROR(gap);
  for (const auto& d : test_destinations())
    BOOST_TEST((d.conformance.sync && d.conformance.live && d.conformance.key_of &&
                d.conformance.score_of && d.conformance.created_twice),
               d.type << ": its conformance adapter is incomplete (tests/destinations/"
                      << d.type << ".cpp)");
  for (const auto& type : registered)
    BOOST_TEST(backflow::emulators::find_emulator_for(type) != nullptr,
               "destination '" << type << "' has no emulator in emulators/registry.cpp");
}

BOOST_AUTO_TEST_CASE(a_destination_added_without_an_adapter_is_named) {
  // The check above, fed a registry with one destination more than the test entries cover (and
  // an entry for one that is gone): it must fire, and say what to add.
  auto gaps = registry_gaps({"hubspot", "webhook", "acme_crm"}, {"hubspot", "webhook", "gone"});
  BOOST_REQUIRE(gaps.size() == 2u);
  BOOST_TEST(gaps[0] ==
             "destination 'acme_crm' is registered but has no test entry: add "
             "tests/destinations/acme_crm.cpp and its line in tests/destinations/registry.cpp");
  BOOST_TEST(gaps[1] == "test entry 'gone' names no registered destination");
  BOOST_TEST(registry_gaps({"a", "b"}, {"b", "a"}).empty());
  // And a scenario run for it fails at once, naming the file to write.
  BOOST_CHECK_EXCEPTION(adapter("acme_crm"), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()).find("tests/destinations/acme_crm.cpp") != std::string::npos;
  });
}

BOOST_DATA_TEST_CASE(first_sync_sends_every_row, data::make(scenario_names()), type) {
  fixture f(type);
  f.model->insert(0, 250);
  auto r = f.run();
  BOOST_TEST(r.summary["counts"]["added"] == 250);
  BOOST_TEST(r.summary["counts"]["delivered"] == 250);
  f.expect_live(range(0, 250));
}

BOOST_DATA_TEST_CASE(an_unchanged_rerun_makes_no_calls, data::make(scenario_names()), type) {
  fixture f(type);
  f.model->insert(0, 120);
  f.run();
  auto calls = f.calls();
  auto r = f.run();
  BOOST_TEST(r.summary["api_calls"] == 0);
  BOOST_TEST(r.summary["counts"]["unchanged"] == 120);
  BOOST_TEST(f.calls() == calls);
}

BOOST_DATA_TEST_CASE(only_changes_are_sent, data::make(scenario_names()), type) {
  fixture f(type);
  f.model->insert(0, 200);
  f.run();
  auto before = records_received(f.emulator);
  std::vector<int> changed = {3, 50, 77, 120, 199};
  if (f.a.change)
    f.a.change(*f.model, changed);
  else
    f.model->bump_scores(changed, 500);
  auto r = f.run();
  BOOST_TEST(r.summary["counts"]["changed"] == 5);
  BOOST_TEST(r.summary["counts"]["delivered"] == 5);
  BOOST_TEST(records_received(f.emulator) - before == 5 * f.a.records_per_change);
  auto live = f.a.live(f.emulator);
  if (auto score = f.a.score_of(live[f.a.key_of(email_of(77))]))
    BOOST_TEST(*score == 77 % 100 + 500);
  f.expect_live(range(0, 200));
}

BOOST_DATA_TEST_CASE(rows_that_leave_the_model_leave_the_destination, data::make(scenario_names()),
                     type) {
  fixture f(type);
  f.model->insert(0, 100);
  f.run();
  f.model->remove({4, 40, 44, 99});
  auto r = f.run();
  BOOST_TEST(r.summary["counts"]["deleted"] == 4);
  BOOST_TEST(r.summary["counts"]["delivered"] == 4);
  auto rows = range(0, 100);
  for (int gone : {4, 40, 44, 99})
    rows.erase(gone);
  f.expect_live(rows);
}

BOOST_DATA_TEST_CASE(a_burst_of_retryable_faults_loses_nothing, data::make(scenario_names()), type) {
  fixture f(type);
  f.model->insert(0, 150);
  f.emulator.fault({{"match", f.a.write_match}, {"count", 3}, {"status", 503}});
  f.emulator.fault({{"match", f.a.write_match}, {"status", 502}, {"nth", 2}});
  auto r = f.run();
  BOOST_TEST(r.summary["counts"]["delivered"] == 150);
  BOOST_TEST(r.summary["counts"]["retried"].get<int>() > 0);
  f.expect_live(range(0, 150));
}

BOOST_DATA_TEST_CASE(a_refused_record_is_rejected_alone, data::make(scenario_names()), type) {
  fixture f(type);
  if (f.a.refuse_bad_rows)
    f.a.refuse_bad_rows(f.emulator);
  f.model->insert(0, 60);
  plant_bad_row(*f.model);
  auto r = f.run(1);  // finished, with a rejected record
  BOOST_TEST(r.summary["counts"]["delivered"] == 60);
  BOOST_TEST(r.summary["counts"]["rejected"] == 1);
  BOOST_REQUIRE(r.summary["rejected"].size() == 1u);
  BOOST_TEST(r.summary["rejected"][0]["key"] == bad_row_key);
  BOOST_TEST(!r.summary["rejected"][0]["reason"].get<std::string>().empty());
  f.expect_live(range(0, 60));
}

BOOST_DATA_TEST_CASE(kill_nine_mid_apply_then_resume_loses_nothing, data::make(scenario_names()),
                     type) {
  unsigned seed = std::random_device{}();
  BOOST_TEST_MESSAGE(type << ": seed " << seed);
  std::mt19937 rng(seed);
  fixture f(type, {"--latency-ms", "25"});
  f.model->insert(0, 3000);
  // Each run's first write is held for longer than the latest kill comes, so every run is still
  // alive when it is killed (a destination taking 3000 rows in one request would finish first).
  constexpr int hold_ms = 600;
  int kills = 0;
  for (int round = 0; round < 3; ++round) {
    if (round > 0)
      f.model->bump_scores({round, round + 1000, round + 2000}, round);
    f.emulator.fault({{"match", f.a.write_match},
                      {"delay_ms", hold_ms}});
    background_process run({binary_path("backflow"), "run", f.sync, "--state",
                            f.backflow.state_dir, "--json"});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(80, 500)(rng)));
    if (run.running()) {
      run.signal(SIGKILL);
      ++kills;
    }
    run.wait(std::chrono::seconds(60));
    // A held write still lands after the kill: let it, before the next run starts.
    if (f.emulator.control_get("faults")["faults"].empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    http_call("DELETE", f.emulator.url("/__emulator/faults"));
  }
  BOOST_TEST_MESSAGE(type << ": " << kills << " kills");
  BOOST_TEST(kills > 0, type << ": no run was killed; the scenario tested nothing");
  f.run();
  f.expect_live(range(0, 3000));
  auto idle = f.run();
  BOOST_TEST(idle.summary["api_calls"] == 0);
}
