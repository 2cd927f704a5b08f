// The process-wide rate limiter actor: runs of several syncs on one account share its window
// and its daily count, even though every run announces the account's limits again.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"

using namespace backflow;
using namespace std::chrono_literals;

namespace {

struct limiter_fixture {
  actor_runtime runtime;
  rate_limiter_actor limiter = spawn_rate_limiter(runtime.system());
  caf::scoped_actor self{runtime.system()};

  /// One token for `account`, waiting at most `max_wait`; the answer and how long it took.
  std::pair<acquire_result, std::chrono::milliseconds> acquire(const std::string& account,
                                                              int64_t max_wait_ms = 60'000) {
    acquire_result answer;
    auto asked = std::chrono::steady_clock::now();
    self->request(limiter, caf::infinite, acquire_atom_v, account, max_wait_ms)
        .receive([&](const acquire_result& r) { answer = r; },
                 [&](const caf::error& e) { BOOST_FAIL("acquire failed: " << to_string(e)); });
    return {answer, std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - asked)};
  }

  void announce(const std::string& account, const rate_limit_spec& spec, int64_t used_today = 0) {
    self->send(limiter, limits_atom_v, account, spec, used_today);
  }
};

rate_limit_spec per_second(double n, int64_t daily = 0) {
  rate_limit_spec spec;
  spec.requests_per_window = n;
  spec.window = 1s;
  spec.daily = daily;
  return spec;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rate_limiter_actor, limiter_fixture)

BOOST_AUTO_TEST_CASE(a_second_run_announcing_the_same_limits_does_not_reset_the_daily_count) {
  announce("acct", per_second(0, 5));
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(acquire("acct").first.granted);
  // Another sync's run starts: the persisted count (0) lags the three calls above.
  announce("acct", per_second(0, 5), 0);
  BOOST_TEST(acquire("acct").first.granted);
  BOOST_TEST(acquire("acct").first.granted);
  auto refused = acquire("acct").first;
  BOOST_TEST(!refused.granted);
  BOOST_TEST(refused.reason.find("daily request budget of 5 is used up") != std::string::npos,
             refused.reason);
}

BOOST_AUTO_TEST_CASE(a_second_run_does_not_reopen_the_window) {
  // 5 per second: the burst (1 token) goes at once, the rest are spaced out.
  announce("acct", per_second(5));
  for (int i = 0; i < 5; ++i)
    (void)acquire("acct");
  announce("acct", per_second(5));  // a fresh gate would let the next one through at once
  auto [granted, waited] = acquire("acct");
  BOOST_TEST(granted.granted);
  BOOST_TEST(waited.count() >= 100, "waited " << waited.count() << " ms");
}

BOOST_AUTO_TEST_CASE(changed_limits_take_effect) {
  announce("acct", per_second(0, 2));
  BOOST_TEST(acquire("acct").first.granted);
  BOOST_TEST(acquire("acct").first.granted);
  BOOST_TEST(!acquire("acct").first.granted);
  announce("acct", per_second(0, 10));  // the sync file now allows more
  BOOST_TEST(acquire("acct").first.granted);
}

BOOST_AUTO_TEST_CASE(accounts_do_not_share_anything) {
  announce("a", per_second(0, 1));
  announce("b", per_second(0, 1));
  BOOST_TEST(acquire("a").first.granted);
  BOOST_TEST(!acquire("a").first.granted);
  BOOST_TEST(acquire("b").first.granted);
}

BOOST_AUTO_TEST_SUITE_END()
