// Token buckets, pauses and daily quotas per destination account, shared by every sync in the
// process.
#include "actors/apply_actors.hpp"

#include <deque>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "pipelines/delivery/account_limiter.hpp"
#include "state/state_dir.hpp"

namespace backflow {
namespace {

using clock = account_limiter::clock;

struct account {
  rate_limit_spec configured;
  account_limiter gate;
  int64_t daily_used = 0;
  std::string day;  ///< UTC day the usage counts toward
  bool daily_exhausted = false;  ///< the vendor said so, whatever our count
  std::deque<caf::typed_response_promise<acquire_result>> waiting;
  bool tick_scheduled = false;
  clock::time_point paused_until{};  ///< the destination asked us not to call before this
};

struct limiter_state {
  std::unordered_map<std::string, account> accounts;
};

using self_ptr = rate_limiter_actor::stateful_pointer<limiter_state>;

/// Starts a new day's count when the UTC date changed.
void roll_day(account& a) {
  auto today = state::utc_day();
  if (a.day != today) {
    a.day = today;
    a.daily_used = 0;
    a.daily_exhausted = false;
  }
}

std::optional<std::string> quota_refusal(account& a) {
  roll_day(a);
  if (a.daily_exhausted || (a.configured.daily > 0 && a.daily_used >= a.configured.daily))
    return "the daily request quota of this destination account is used up (" +
           std::to_string(a.daily_used) + " of " + std::to_string(a.configured.daily) +
           " requests today); it resets at 00:00 UTC";
  return std::nullopt;
}

/// Refuses when the account is paused for longer than the caller will wait.
std::optional<std::string> pause_refusal(const account& a, int64_t max_wait_ms) {
  auto left = a.paused_until - clock::now();
  if (left <= std::chrono::milliseconds(max_wait_ms))
    return std::nullopt;
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(left).count() + 1;
  return "the destination asked to pause this account; about " + std::to_string(minutes) +
         " min left";
}

/// Serves waiting acquirers in order while tokens last; schedules the next tick otherwise.
void serve(self_ptr self, const std::string& name, account& a) {
  auto now = clock::now();
  while (!a.waiting.empty()) {
    if (auto refusal = quota_refusal(a)) {
      for (auto& p : a.waiting)
        p.deliver(acquire_result{false, *refusal});
      a.waiting.clear();
      return;
    }
    auto wait = a.gate.try_take(now);
    if (wait) {
      if (!a.tick_scheduled) {
        a.tick_scheduled = true;
        self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(*wait),
                           pump_atom_v, name);
      }
      return;
    }
    ++a.daily_used;
    a.waiting.front().deliver(acquire_result{true, {}});
    a.waiting.pop_front();
  }
}

rate_limiter_actor::behavior_type limiter_impl(self_ptr self) {
  return {
    [=](acquire_atom, const std::string& name, int64_t max_wait_ms) -> caf::result<acquire_result> {
      auto& a = self->state.accounts[name];
      if (auto refusal = quota_refusal(a))
        return acquire_result{false, *refusal};
      if (auto refusal = pause_refusal(a, max_wait_ms))
        return acquire_result{false, *refusal};
      if (a.waiting.empty() && !a.gate.try_take(clock::now())) {
        ++a.daily_used;
        return acquire_result{true, {}};
      }
      auto promise = self->make_response_promise<acquire_result>();
      a.waiting.push_back(promise);
      serve(self, name, a);
      return promise;
    },
    [=](limits_atom, const std::string& name, const rate_limit_spec& spec, int64_t used_today) {
      auto& a = self->state.accounts[name];
      a.configured = spec;
      a.gate = account_limiter(spec, clock::now());
      roll_day(a);
      a.daily_used = std::max(a.daily_used, used_today);
    },
    [=](advertise_atom, const std::string& name, const rate_limit_spec& advertised) {
      // Adopt the vendor's announced limit when it is stricter than ours.
      auto& a = self->state.accounts[name];
      double ours = a.configured.unlimited() ? 1e300
                                             : a.configured.requests_per_window /
                                                   std::chrono::duration<double>(a.configured.window).count();
      double theirs = advertised.requests_per_window /
                      std::chrono::duration<double>(advertised.window).count();
      if (theirs < ours * 0.999) {
        spdlog::info("Adopting the destination's advertised rate limit: account_limit={}/{}ms",
                     advertised.requests_per_window, advertised.window.count());
        a.configured.requests_per_window = advertised.requests_per_window;
        a.configured.window = advertised.window;
        a.gate = account_limiter(a.configured, clock::now());
      }
    },
    [=](pause_atom, const std::string& name, int64_t millis) {
      auto& a = self->state.accounts[name];
      auto until = clock::now() + std::chrono::milliseconds(millis);
      a.gate.pause_until(until);
      a.paused_until = std::max(a.paused_until, until);
    },
    [=](daily_atom, const std::string& name, int64_t remaining) {
      auto& a = self->state.accounts[name];
      roll_day(a);
      if (remaining <= 0)
        a.daily_exhausted = true;
      else if (a.configured.daily > 0)
        a.daily_used = std::max(a.daily_used, a.configured.daily - remaining);
    },
    [=](pump_atom, const std::string& name) {
      auto& a = self->state.accounts[name];
      a.tick_scheduled = false;
      serve(self, name, a);
    },
  };
}

}  // namespace

rate_limiter_actor spawn_rate_limiter(caf::actor_system& sys) {
  return sys.spawn(limiter_impl);
}

}  // namespace backflow
