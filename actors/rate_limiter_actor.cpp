// Token buckets, pauses and daily quotas per destination account, shared by every sync in the
// process.
#include "actors/apply_actors.hpp"

#include <deque>
#include <optional>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "pipelines/delivery/account_limiter.hpp"
#include "pipelines/core/clock.hpp"

namespace backflow {
namespace {

using clock = account_limiter::clock;

struct account {
  std::optional<rate_limit_spec> announced;  ///< the limits runs last gave (their sync files)
  rate_limit_spec configured;  ///< in force: announced, or stricter limits the vendor advertised
  account_limiter gate;
  int64_t daily_used = 0;
  std::string day;  ///< the quota day the usage counts toward
  bool daily_exhausted = false;  ///< the vendor said so, whatever our count
  std::deque<caf::typed_response_promise<acquire_result>> waiting;
  bool tick_scheduled = false;
  clock::time_point paused_until{};  ///< the destination asked us not to call before this
};

struct limiter_state {
  std::unordered_map<std::string, account> accounts;
};

using self_ptr = rate_limiter_actor::stateful_pointer<limiter_state>;

bool same_limits(const rate_limit_spec& a, const rate_limit_spec& b) {
  return a.requests_per_window == b.requests_per_window && a.window == b.window &&
         a.daily == b.daily && a.daily_budget == b.daily_budget && a.day_offset == b.day_offset;
}

/// Starts a new day's count when the account's quota day changed.
void roll_day(account& a) {
  auto today = quota_day(wall_now(), a.configured.day_offset);
  if (a.day != today) {
    a.day = today;
    a.daily_used = 0;
    a.daily_exhausted = false;
  }
}

/// Refuses when today's budget is spent; says when it resets.
std::optional<acquire_result> quota_refusal(account& a) {
  roll_day(a);
  auto allowance = a.configured.daily_allowance();
  if (!a.daily_exhausted && (allowance == 0 || a.daily_used < allowance))
    return std::nullopt;
  auto reset = quota_day_end(wall_now(), a.configured.day_offset);
  std::string budget = a.configured.daily_budget < 1.0
                           ? std::to_string(allowance) + " (" +
                                 std::to_string(static_cast<int>(a.configured.daily_budget * 100 + 0.5)) +
                                 "% of " + std::to_string(a.configured.daily) + ")"
                           : std::to_string(allowance);
  auto why = a.daily_exhausted
                 ? "the destination says this account's daily request limit is used up"
                 : "this account's daily request budget of " + budget + " is used up";
  return acquire_result{false, why + "; the account is paused until the reset at " + iso8601(reset),
                        std::chrono::duration_cast<std::chrono::milliseconds>(reset.time_since_epoch())
                            .count()};
}

/// Refuses when the account is paused for longer than the caller will wait.
std::optional<acquire_result> pause_refusal(const account& a, int64_t max_wait_ms) {
  auto left = a.paused_until - clock::now();
  if (left <= std::chrono::milliseconds(max_wait_ms))
    return std::nullopt;
  auto until = wall_now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
  return acquire_result{false,
                        "the destination asked to pause this account until " + iso8601(until),
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            until.time_since_epoch())
                            .count()};
}

/// Serves waiting acquirers in order while tokens last; schedules the next tick otherwise.
void serve(self_ptr self, const std::string& name, account& a) {
  auto now = clock::now();
  while (!a.waiting.empty()) {
    if (auto refusal = quota_refusal(a)) {
      for (auto& p : a.waiting)
        p.deliver(*refusal);
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
        return *refusal;
      if (auto refusal = pause_refusal(a, max_wait_ms))
        return *refusal;
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
      // Every run announces its account's limits. Runs of several syncs share the account, so
      // the gate (its window history, a pause) and today's count carry over unless the limits
      // changed: a fresh gate would let a new burst through, and the persisted count lags the
      // calls of runs still going.
      auto& a = self->state.accounts[name];
      if (!a.announced || !same_limits(*a.announced, spec)) {
        a.announced = spec;
        a.configured = spec;
        a.gate = account_limiter(spec, clock::now());
        if (a.paused_until > clock::now())
          a.gate.pause_until(a.paused_until);
      }
      roll_day(a);
      a.daily_used = std::max(a.daily_used, used_today);
    },
    [=](advertise_atom, const std::string& name, const rate_limit_spec& advertised,
        const std::string& run_tag) {
      // Learn a daily limit we were not told; adopt a window limit stricter than ours.
      auto& a = self->state.accounts[name];
      if (advertised.daily > 0 && a.configured.daily == 0)
        a.configured.daily = advertised.daily;
      if (advertised.requests_per_window <= 0)
        return;
      double ours = a.configured.unlimited() ? 1e300
                                             : a.configured.requests_per_window /
                                                   std::chrono::duration<double>(a.configured.window).count();
      double theirs = advertised.requests_per_window /
                      std::chrono::duration<double>(advertised.window).count();
      if (theirs < ours * 0.999) {
        spdlog::info("Adopting the destination's advertised rate limit: account={} limit={}/{}ms{}",
                     name, advertised.requests_per_window, advertised.window.count(), run_tag);
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
    [=](unpause_atom, const std::string& name) {
      auto& a = self->state.accounts[name];
      a.paused_until = {};
      a.gate.resume();
      serve(self, name, a);
    },
    [=](daily_atom, const std::string& name, int64_t remaining) {
      auto& a = self->state.accounts[name];
      roll_day(a);
      if (remaining <= 0)
        a.daily_exhausted = true;
      else if (a.configured.daily > 0)  // another client of the account used calls too
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
