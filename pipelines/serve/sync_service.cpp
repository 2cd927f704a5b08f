// The scheduler of `backflow serve` (see sync_service.hpp).
#include "pipelines/serve/sync_service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "connectors/destinations/registry.hpp"
#include "pipelines/core/clock.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/schedule/schedule.hpp"
#include "pipelines/sync/sync_identity.hpp"
#include "pipelines/sync/sync_runner.hpp"
#include "state/sync_state.hpp"

namespace backflow {
namespace {

int64_t ms_between(sync_service::clock::time_point from, sync_service::clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

sync_service::sync_service(service_options opts, caf::actor_system& sys,
                           std::shared_ptr<state::state_dir> dir, rate_limiter_actor limiter)
    : opts_(std::move(opts)),
      sys_(sys),
      dir_(std::move(dir)),
      limiter_(std::move(limiter)),
      catalog_(opts_.syncs_dir),
      pool_(opts_.max_concurrent_runs) {
  if (!opts_.run)
    opts_.run = [this](const sync_config& cfg, const std::atomic<bool>& interrupted) {
      return run_with_runner(cfg, interrupted);
    };
}

sync_service::~sync_service() {
  begin_stop();
  wait_stopped(clock::now() + std::chrono::hours(1));
}

std::optional<sync_service::clock::time_point> sync_service::first_due(const sync_schedule& when,
                                                                       clock::time_point now) {
  if (when.what == sync_schedule::kind::every)
    return now;
  return when.next_after(now);  // cron: its next slot; manual: never
}

void sync_service::start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    apply_reload();
  }
  scheduler_ = std::thread([this] { schedule_loop(); });
}

void sync_service::request_reload() {
  std::lock_guard<std::mutex> lock(mutex_);
  reload_requested_ = true;
  wake_.notify_all();
}

void sync_service::begin_stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_.exchange(true))
      return;
    spdlog::info("Stopping: running={} reason=\"asked to stop; in-flight batches finish\"", running_);
  }
  wake_.notify_all();
}

bool sync_service::wait_stopped(clock::time_point deadline) {
  if (scheduler_.joinable())
    scheduler_.join();
  std::unique_lock<std::mutex> lock(mutex_);
  return wake_.wait_until(lock, deadline, [&] { return running_ == 0; });
}

size_t sync_service::running_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

std::optional<sync_service::clock::time_point> sync_service::waiting_since(const sync_slot& slot,
                                                                           clock::time_point now) {
  if (slot.running || slot.removed || slot.paused)
    return std::nullopt;
  // The trigger or the due slot, whichever came first.
  std::optional<clock::time_point> since = slot.triggered_at;
  if (slot.next_due && *slot.next_due <= now && (!since || *slot.next_due < *since))
    since = slot.next_due;
  return since;
}

schedule_status sync_service::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock::now();
  schedule_status out;
  out.running = running_;
  out.run_slots = opts_.max_concurrent_runs;
  for (const auto& [name, slot] : slots_) {
    if (auto since = waiting_since(slot, now)) {
      ++out.due_waiting;
      out.oldest_wait = std::max(out.oldest_wait, std::chrono::milliseconds(ms_between(*since, now)));
    }
  }
  return out;
}

void sync_service::schedule_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    rescan_ = false;
    auto now = clock::now();
    if (reload_requested_ || now - last_poll_ >= opts_.poll_interval)
      apply_reload();
    start_due_runs(now);
    auto until = next_wake(now);
    // What ends the wait is state set under the lock, so a run that finished (or a trigger that
    // came) while this thread was busy above is seen here rather than lost with its notification.
    wake_.wait_until(lock, until, [&] { return stopping_ || reload_requested_ || rescan_; });
  }
}

void sync_service::apply_reload() {
  reload_requested_ = false;
  last_poll_ = clock::now();
  auto changes = catalog_.reload();
  auto now = clock::now();
  for (const auto& name : changes.added) {
    auto& slot = slots_[name];
    slot.removed = false;
    slot.config = catalog_.syncs().at(name);
    slot.account = destination_account(*slot.config);
    slot.next_due = first_due(slot.config->when, now);
    metrics_.add_sync(name);
    spdlog::info("Loaded sync: sync={} file={} schedule=\"{}\"", name, slot.config->file.string(),
                 slot.config->when.describe());
  }
  for (const auto& name : changes.changed) {
    auto& slot = slots_[name];
    auto fresh = catalog_.syncs().at(name);
    if (fresh->when.describe() != slot.config->when.describe())
      slot.next_due = first_due(fresh->when, now);
    slot.config = fresh;
    slot.account = destination_account(*fresh);
    spdlog::info("Reloaded sync: sync={} file={} schedule=\"{}\"{}", name, fresh->file.string(),
                 fresh->when.describe(), slot.running ? " (takes effect from the next run)" : "");
  }
  // A dbt run that built a sync's model triggers it (its gate then reads those results).
  for (const auto& name : dbt_watch_.poll(catalog_.syncs())) {
    auto* slot = live_slot(name);
    if (slot && !slot->paused && !slot->triggered_at) {
      slot->triggered_at = now;
      spdlog::info("Run triggered: sync={} by=dbt", name);
    }
  }
  for (const auto& name : changes.removed) {
    auto it = slots_.find(name);
    if (it == slots_.end())
      continue;
    spdlog::info("Removed sync: sync={}{}", name, it->second.running ? " (after its current run)" : "");
    if (it->second.running)
      it->second.removed = true;
    else
      slots_.erase(it);
  }
}

void sync_service::start_due_runs(clock::time_point now) {
  std::vector<std::pair<clock::time_point, std::string>> due;
  for (const auto& [name, slot] : slots_)
    if (auto since = waiting_since(slot, now))
      due.emplace_back(*since, name);
  std::sort(due.begin(), due.end());
  for (const auto& [since, name] : due) {
    auto& slot = slots_[name];
    if (running_ >= opts_.max_concurrent_runs) {
      slot.waited_for_slot = true;
      continue;
    }
    bool scheduled = slot.next_due && *slot.next_due <= now;
    if (scheduled) {
      // The next slot follows this one; one missed while waiting is not run twice.
      auto next = slot.config->when.next_after(*slot.next_due);
      if (next && *next <= now)
        next = slot.config->when.next_after(now);
      slot.next_due = next;
    }
    auto lag = std::chrono::milliseconds(ms_between(since, now));
    metrics_.record_schedule_lag(lag);
    if (slot.waited_for_slot && lag >= std::chrono::seconds(1))
      log_queue_delay(name, since, lag);
    slot.waited_for_slot = false;
    slot.triggered_at.reset();
    slot.running = true;
    ++running_;
    pool_.submit([this, name = name, cfg = slot.config] { run_one(name, cfg); });
  }
}

void sync_service::run_one(const std::string& name, std::shared_ptr<const sync_config> cfg) {
  nlohmann::json summary;
  try {
    summary = opts_.run(*cfg, stopping_);
    const auto counts = summary.value("counts", nlohmann::json::object());
    const auto error = summary.value("error", std::string());
    spdlog::info("Run finished: sync={} run={} status={} duration_ms={} delivered={} rejected={} "
                 "api_calls={}{}",
                 name, summary.value("run_id", 0), summary.value("status", std::string()),
                 summary.value("duration_ms", 0), counts.value("delivered", 0),
                 counts.value("rejected", 0), summary.value("api_calls", 0),
                 error.empty() ? std::string() : " error=\"" + redact_secrets(error) + "\"");
  } catch (const std::exception& e) {
    spdlog::error("Run failed: sync={} error=\"{}\"", name, redact_secrets(e.what()));
    summary = {{"sync", name}, {"status", "incomplete"}, {"error", e.what()}};
  }
  metrics_.record_run(name, summary);
  finish_run(name, summary);
}

nlohmann::json sync_service::run_with_runner(const sync_config& cfg,
                                             const std::atomic<bool>& interrupted) {
  sync_runner runner(sys_, dir_, limiter_);
  run_options opts;
  opts.interrupted = &interrupted;
  auto summary = runner.run(cfg, opts).to_json();
  state::sync_state st(dir_, cfg.name);
  st.prune_runs(opts_.keep_runs);
  record_quota(cfg);
  return summary;
}

void sync_service::record_quota(const sync_config& cfg) {
  try {
    const auto* type = find_destination_type(cfg.destination_type);
    if (type == nullptr)
      return;
    auto dest = type->make(cfg.connector_context(0));
    auto limits = dest->rate_limits();
    auto allowance = limits.daily_allowance();
    if (allowance <= 0)
      return;  // no daily limit: nothing to show
    auto used = dir_->quota(dest->account(), quota_day(wall_now(), limits.day_offset)).used;
    metrics_.set_quota(dest->account(), used, allowance);
  } catch (const std::exception& e) {
    spdlog::warn("Cannot read the quota: sync={} reason=\"{}\"", cfg.name, e.what());
  }
}

void sync_service::finish_run(const std::string& name, const nlohmann::json& summary) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock::now();
  --running_;
  auto it = slots_.find(name);
  if (it != slots_.end()) {
    auto& slot = it->second;
    slot.running = false;
    slot.last_run = summary;
    if (slot.removed) {
      slots_.erase(it);
    } else if (slot.next_due && *slot.next_due < now && !stopping_) {
      // The run overlapped its next slot: that slot runs now, late, instead of in parallel.
      log_overlap_delay(name, summary, *slot.next_due,
                        std::chrono::milliseconds(ms_between(*slot.next_due, now)));
    }
  }
  rescan_ = true;  // a run slot is free
  wake_.notify_all();
}

void sync_service::log_queue_delay(const std::string& name, clock::time_point slot,
                                   std::chrono::milliseconds lag) {
  log_throttle::held_back held;
  if (queue_delay_log_.admit(lag, held))
    spdlog::warn("Schedule slot delayed: sync={} slot={} delay_ms={} reason=\"waiting for a free run "
                 "slot\" run_slots={} others_delayed={} others_max_delay_ms={}",
                 name, iso8601_ms(slot), lag.count(), opts_.max_concurrent_runs, held.count,
                 held.max_delay_ms);
}

void sync_service::log_overlap_delay(const std::string& name, const nlohmann::json& summary,
                                     clock::time_point slot, std::chrono::milliseconds delay) {
  log_throttle::held_back held;
  if (overlap_delay_log_.admit(delay, held))
    spdlog::warn("Schedule slot delayed: sync={} run={} slot={} delay_ms={} reason=\"the previous "
                 "run was still running\" others_delayed={} others_max_delay_ms={}",
                 name, summary.value("run_id", 0), iso8601_ms(slot), delay.count(), held.count,
                 held.max_delay_ms);
}

sync_service::clock::time_point sync_service::next_wake(clock::time_point now) const {
  auto until = last_poll_ + opts_.poll_interval;
  for (const auto& [name, slot] : slots_)
    if (slot.next_due && !slot.paused && !slot.running && *slot.next_due > now)
      until = std::min(until, *slot.next_due);
  return std::max(until, now + std::chrono::milliseconds(10));
}

bool sync_service::healthy() const {
  return !stopping_;
}

nlohmann::json sync_service::syncs() const {
  // Pauses a destination asked its account for (persisted when longer than a run waits).
  std::map<std::string, int64_t> paused_accounts;
  for (const auto& p : dir_->pauses(wall_now_ms()))
    paused_accounts[p.account] = p.until_ms;
  std::lock_guard<std::mutex> lock(mutex_);
  auto list = nlohmann::json::array();
  for (const auto& [name, slot] : slots_) {
    if (slot.removed)
      continue;
    const auto& cfg = *slot.config;
    list.push_back({{"name", name},
                    {"file", cfg.file.string()},
                    {"destination", cfg.destination_type},
                    {"mode", to_string(cfg.mode)},
                    {"schedule", cfg.when.describe()},
                    {"paused", slot.paused},
                    {"running", slot.running},
                    {"next_run_at", slot.next_due && !slot.paused ? nlohmann::json(iso8601_ms(*slot.next_due))
                                                                  : nlohmann::json()},
                    {"account", slot.account},
                    {"account_paused_until", nlohmann::json()},
                    {"last_run", slot.last_run}});
    if (auto p = paused_accounts.find(slot.account); p != paused_accounts.end())
      list.back()["account_paused_until"] = iso8601_ms(clock::time_point(std::chrono::milliseconds(p->second)));
  }
  auto invalid = nlohmann::json::array();
  for (const auto& bad : catalog_.invalid())
    invalid.push_back({{"file", bad.file}, {"errors", bad.errors}});
  return nlohmann::json::parse(redact_secrets(nlohmann::json{{"syncs", list}, {"invalid", invalid}}.dump()));
}

sync_service::sync_slot* sync_service::live_slot(const std::string& name) {
  auto it = slots_.find(name);
  return it == slots_.end() || it->second.removed ? nullptr : &it->second;
}

const sync_service::sync_slot* sync_service::live_slot(const std::string& name) const {
  return const_cast<sync_service*>(this)->live_slot(name);
}

bool sync_service::has_sync(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_slot(name) != nullptr;
}

nlohmann::json sync_service::runs(const std::string& name, size_t limit) const {
  if (!has_sync(name))
    return nullptr;
  state::sync_state st(dir_, name);
  return nlohmann::json::parse(redact_secrets(nlohmann::json(st.recent_runs(limit)).dump()));
}

std::string sync_service::trigger(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto* slot = live_slot(name);
  if (!slot)
    return no_sync_named(name);
  if (slot->paused)
    return "sync \"" + name + "\" is paused; resume it first";
  if (stopping_)
    return "the service is stopping";
  if (!slot->triggered_at)
    slot->triggered_at = clock::now();
  spdlog::info("Run triggered: sync={}{}", name, slot->running ? " (runs again after the current run)" : "");
  rescan_ = true;
  wake_.notify_all();
  return "";
}

std::string sync_service::pause(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto* slot = live_slot(name);
  if (!slot)
    return no_sync_named(name);
  slot->paused = true;
  slot->triggered_at.reset();
  spdlog::info("Paused: sync={}", name);
  return "";
}

std::string sync_service::resume(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto* slot = live_slot(name);
  if (!slot)
    return no_sync_named(name);
  if (slot->paused) {
    slot->paused = false;
    slot->next_due = first_due(slot->config->when, clock::now());
    spdlog::info("Resumed: sync={}", name);
  }
  rescan_ = true;
  wake_.notify_all();
  return "";
}

std::string sync_service::unpause(const std::string& name) {
  std::string account;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto* slot = live_slot(name);
    if (!slot)
      return no_sync_named(name);
    account = slot->account;
  }
  auto was = dir_->unpause(account);  // for later runs, and for other processes
  caf::anon_send(limiter_, unpause_atom_v, account);  // for the runs of this one
  spdlog::info("Unpaused: sync={} account={} was_paused_until={}", name, account,
               was > 0 ? iso8601_ms(clock::time_point(std::chrono::milliseconds(was))) : std::string("-"));
  std::lock_guard<std::mutex> lock(mutex_);
  rescan_ = true;
  wake_.notify_all();
  return "";
}

std::string sync_service::metrics() const {
  metrics_.set_schedule(status());
  return metrics_.render();
}

}  // namespace backflow
