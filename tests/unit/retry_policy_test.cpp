// Exponential backoff with full jitter: bounds over many samples, spread, server-given waits.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "pipelines/delivery/retry_policy.hpp"

using namespace backflow;
using std::chrono::milliseconds;

namespace {

struct sample_stats {
  long long min = -1;
  long long max = -1;
  double mean = 0;
};

sample_stats sample(const retry_policy& p, int attempt, milliseconds server_wait, int n = 4000) {
  std::mt19937_64 rng(12345 + attempt);
  sample_stats s;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    auto d = static_cast<long long>(p.delay(attempt, server_wait, rng).count());
    s.min = s.min < 0 ? d : std::min(s.min, d);
    s.max = std::max(s.max, d);
    sum += static_cast<double>(d);
  }
  s.mean = sum / n;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_policies)

BOOST_AUTO_TEST_CASE(defaults) {
  retry_policy p;
  BOOST_TEST(p.max_attempts == 6);
  BOOST_TEST(p.initial.count() == 500);
  BOOST_TEST(p.max.count() == 30000);
}

BOOST_AUTO_TEST_CASE(full_jitter_is_bounded_by_the_doubling_ceiling) {
  retry_policy p{6, milliseconds(500), milliseconds(30000)};
  for (int attempt = 1; attempt <= 12; ++attempt) {
    long long ceiling = std::min<long long>(30000, 500LL << (attempt - 1));
    auto s = sample(p, attempt, milliseconds(0));
    BOOST_TEST(s.min >= 0, "attempt " << attempt);
    BOOST_TEST(s.max <= ceiling, "attempt " << attempt << " max " << s.max);
    // Full jitter: spread over the whole range, uniform on average.
    BOOST_TEST(s.min <= ceiling / 20, "attempt " << attempt << " min " << s.min);
    BOOST_TEST(s.max >= ceiling * 19 / 20, "attempt " << attempt << " max " << s.max);
    BOOST_TEST(std::abs(s.mean - ceiling / 2.0) <= ceiling * 0.05,
               "attempt " << attempt << " mean " << s.mean);
  }
}

BOOST_AUTO_TEST_CASE(a_small_max_caps_the_first_attempt_too) {
  retry_policy p{6, milliseconds(500), milliseconds(200)};
  BOOST_TEST(sample(p, 1, milliseconds(0)).max <= 200);
  BOOST_TEST(sample(p, 50, milliseconds(0)).max <= 200);
}

BOOST_AUTO_TEST_CASE(zero_initial_means_no_wait) {
  retry_policy p{6, milliseconds(0), milliseconds(30000)};
  BOOST_TEST(sample(p, 5, milliseconds(0), 100).max == 0);
}

BOOST_AUTO_TEST_CASE(server_waits_are_honoured_with_at_most_ten_percent_jitter) {
  retry_policy p{6, milliseconds(500), milliseconds(30000)};
  auto s = sample(p, 1, milliseconds(2000));
  BOOST_TEST(s.min >= 2000);
  BOOST_TEST(s.max <= 2200);
  BOOST_TEST(s.max > 2150);  // jitter is actually added
  // Honoured even beyond the policy's own maximum.
  auto long_wait = sample(p, 3, milliseconds(120000), 200);
  BOOST_TEST(long_wait.min >= 120000);
  BOOST_TEST(long_wait.max <= 132000);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_delays) {
  retry_policy p;
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  for (int i = 1; i <= 5; ++i)
    BOOST_TEST(p.delay(i, milliseconds(0), a).count() == p.delay(i, milliseconds(0), b).count());
}

BOOST_AUTO_TEST_SUITE_END()
