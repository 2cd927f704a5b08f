// End to end: `kill -9` of backflow at random moments, again and again, while the model keeps
// changing; a final run converges with nothing lost, nothing created twice, little re-sent.
#define BOOST_TEST_MODULE e2e_crash_recovery
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <random>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

using namespace backflow::testing;
using nlohmann::json;

namespace {

constexpr int initial_rows = 10000;
constexpr int iterations = 10;
constexpr int added_per_iteration = 1500;
constexpr int changed_per_iteration = 1000;
constexpr int deleted_per_iteration = 200;
constexpr int concurrency = 4;
constexpr int batch_size = 100;

unsigned test_seed() {
  if (const char* fixed = std::getenv("BACKFLOW_TEST_SEED"))
    return static_cast<unsigned>(std::stoul(fixed));
  return static_cast<unsigned>(std::random_device{}());
}

std::vector<int> pick(const std::set<int>& from, size_t n, std::mt19937& rng) {
  std::vector<int> all(from.begin(), from.end());
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(std::min(n, all.size()));
  return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kill_nine_at_random_moments_loses_nothing_and_creates_nothing_twice) {
  auto seed = test_seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (replay with BACKFLOW_TEST_SEED=" << seed << ")");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(20, 900);

  temp_dir dir;
  auto model = sqlite_contacts(dir);
  // 40 ms per request makes apply last long enough to be cut at random points.
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0", "--latency-ms", "40"}};
  auto sync_json = hubspot_sync(*model, hubspot.url(), "mirror");
  sync_json["delivery"]["concurrency"] = concurrency;
  auto sync = write_sync(dir, sync_json);
  cli backflow{dir.file("state"), {}};

  std::set<int> live;
  std::set<int> deleted;
  int next_row = 0;
  int64_t changes_made = 0;
  auto add_rows = [&](int n) {
    model->insert(next_row, next_row + n);
    for (int i = next_row; i < next_row + n; ++i)
      live.insert(i);
    next_row += n;
    changes_made += n;
  };
  add_rows(initial_rows);

  int kills = 0;
  for (int round = 0; round < iterations; ++round) {
    if (round > 0) {
      add_rows(added_per_iteration);
      auto changed = pick(live, changed_per_iteration, rng);
      model->bump_scores(changed, round);
      auto gone = pick(live, deleted_per_iteration, rng);
      model->remove(gone);
      for (int g : gone) {
        live.erase(g);
        deleted.insert(g);
      }
      changes_made += static_cast<int64_t>(changed.size() + gone.size());
    }
    background_process run({binary_path("backflow"), "run", sync, "--state", backflow.state_dir,
                            "--json"});
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
    if (run.running()) {
      run.signal(SIGKILL);
      ++kills;
    }
    auto ended = run.wait(std::chrono::seconds(60));
    BOOST_TEST((ended.signal == SIGKILL || ended.exit_code == 0),
               "a run failed on its own: " << ended.out << ended.err);
  }
  BOOST_TEST_MESSAGE("kills " << kills << " of " << iterations << " runs");
  BOOST_TEST(kills >= iterations / 2);

  auto final_run = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(final_run.process.exit_code == 0,
                        final_run.process.out << final_run.process.err);

  // The destination holds exactly the model's rows; what left the model is archived;
  // no record was ever created twice.
  std::set<std::string> expected_live;
  for (int i : live)
    expected_live.insert(email_of(i));
  std::set<std::string> expected_gone;
  for (int i : deleted)
    expected_gone.insert(email_of(i));
  std::set<std::string> actual_live;
  for (auto& r : hubspot.records()) {
    BOOST_TEST(r["creations"] == 1, "created twice: " << r.dump());
    auto email = r["properties"]["email"].get<std::string>();
    if (r["archived"].get<bool>())  // rows deleted before they were ever synced never arrive
      BOOST_TEST(expected_gone.count(email) == 1u, "archived but still in the model: " << email);
    else
      actual_live.insert(email);
  }
  BOOST_TEST(actual_live == expected_live);

  // Everything sent beyond the changes made is bounded by the batches in flight at each kill.
  auto sent = hubspot.requests()["inputs"].get<int64_t>();
  BOOST_TEST_MESSAGE("changes made " << changes_made << ", records sent " << sent);
  BOOST_TEST(sent <= changes_made + static_cast<int64_t>(kills) * concurrency * batch_size);

  // The state agrees with the destination: nothing left to do.
  auto idle = backflow.run_sync(sync);
  BOOST_TEST(idle.summary["api_calls"] == 0);
  BOOST_TEST(idle.summary["counts"]["unchanged"] == static_cast<int>(live.size()));
}
