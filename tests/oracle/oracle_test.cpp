// The oracle of issue 10: a model-based test of every destination and mode. Random sequences of
// model changes, mapping and mode changes and faults run for BACKFLOW_ORACLE_SECONDS (default
// 60); after every successful run the emulator must hold what the model says. The master seed is
// printed first (BACKFLOW_ORACLE_SEED replays all), each sequence's own seed with it
// (BACKFLOW_ORACLE_SEQUENCE=destination/mode:seed replays one alone). Named cases, one per
// defect found by hand, are in named_cases.cpp.
#define BOOST_TEST_MODULE oracle
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>

#include "tests/oracle/emulator_pool.hpp"
#include "tests/oracle/figures.hpp"
#include "tests/oracle/profiles.hpp"
#include "tests/oracle/random_sequence.hpp"

using namespace backflow::oracle;

namespace {

/// Prints the figures once every case has run.
struct print_figures {
  ~print_figures() { std::cout << "[oracle] figures: " << totals().summary() << std::endl; }
};
BOOST_TEST_GLOBAL_FIXTURE(print_figures);

std::uint64_t split_mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t master_seed() {
  if (const char* text = std::getenv("BACKFLOW_ORACLE_SEED"))
    return std::stoull(text);
  return std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
}

double budget_seconds() {
  const char* text = std::getenv("BACKFLOW_ORACLE_SECONDS");
  return text ? std::stod(text) : 60.0;
}

/// Runs one sequence and prints its line and, on a mismatch, its report; "" when it held.
std::string run_printed(const sequence_spec& spec, int index) {
  const auto started = std::chrono::steady_clock::now();
  auto report = run_sequence(spec, emulator_for(profile_named(spec.destination)));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  std::cout << "[oracle] sequence " << index << " " << replay_of(spec) << " (" << ms
            << " ms): " << (report.empty() ? "held" : "MISMATCH") << std::endl;
  if (!report.empty())
    std::cout << report << std::flush;
  return report;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_sequences) {
  if (const char* one = std::getenv("BACKFLOW_ORACLE_SEQUENCE")) {
    auto spec = parse_replay(one);
    BOOST_REQUIRE_MESSAGE(spec,
                          "BACKFLOW_ORACLE_SEQUENCE must read destination/mode:seed, got " << one);
    std::cout << "[oracle] replaying one sequence: " << replay_of(*spec) << std::endl;
    BOOST_TEST(run_printed(*spec, 0).empty());
    return;
  }
  const auto master = master_seed();
  const auto budget = budget_seconds();
  std::cout << "[oracle] master seed " << master << " (BACKFLOW_ORACLE_SEED=" << master
            << " replays; BACKFLOW_ORACLE_SECONDS=" << budget << ")" << std::endl;
  const auto combinations = all_combinations();
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  std::vector<std::string> failed;
  // A sequence takes a few seconds: start one only while it can end near the budget.
  for (int i = 0; i == 0 || elapsed() < budget - 2.0; ++i) {
    auto spec = combinations[static_cast<std::size_t>(i) % combinations.size()];
    spec.seed = split_mix(master + static_cast<std::uint64_t>(i));
    if (!run_printed(spec, i).empty())
      failed.push_back(replay_of(spec));
  }
  std::string list;
  for (const auto& f : failed)
    list += "\n  BACKFLOW_ORACLE_SEQUENCE=" + f;
  BOOST_TEST(failed.empty(), failed.size() << " sequences found a mismatch:" << list);
}

BOOST_AUTO_TEST_CASE(every_registered_destination_has_a_profile) {
  // A destination registered without an oracle profile would escape the random sequences.
  for (const auto& type : destinations_without_profiles())
    BOOST_ERROR("destination '" << type << "' has no oracle profile: add it to its entry in "
                                   "tests/destinations/" << type << ".cpp");
  for (const auto& p : profiles()) {
    BOOST_TEST((p.expected && p.held && p.sent && p.destination_at),
               p.name << ": its oracle profile is incomplete");
    BOOST_TEST(!p.modes.empty(), p.name << ": no mode");
  }
}
