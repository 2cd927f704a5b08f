// The scheduler of `backflow serve`: runs every loaded sync on its schedule, a few at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "pipelines/serve/dbt_watch.hpp"
#include "pipelines/serve/log_throttle.hpp"
#include "pipelines/serve/metrics.hpp"
#include "pipelines/serve/run_pool.hpp"
#include "pipelines/serve/service_control.hpp"
#include "pipelines/serve/sync_catalog.hpp"
#include "state/state_dir.hpp"

namespace backflow {

/// One run of a sync: its summary JSON (run_summary::to_json). `interrupted` turns true when the
/// service stops. May throw; the service records a throw as an incomplete run.
using run_function =
    std::function<nlohmann::json(const sync_config& cfg, const std::atomic<bool>& interrupted)>;

struct service_options {
  std::filesystem::path syncs_dir;
  size_t max_concurrent_runs = 4;
  size_t keep_runs = 100;  ///< run summaries kept per sync
  std::chrono::milliseconds poll_interval{3000};  ///< how often the syncs directory is re-read
  /// Runs one sync. Empty (the default): the real sync_runner, then the run history is pruned
  /// and the account's quota read for the metrics. Tests give a function of their own.
  run_function run;
};

/// Schedules and runs syncs (see service_control for the thread-safe interface). One scheduler
/// thread decides what runs; runs go on a pool of `max_concurrent_runs` threads, reused from run
/// to run (see run_pool). A sync never runs twice at once; when more syncs are due than free
/// slots, the one waiting longest starts first.
class sync_service : public service_control {
 public:
  using clock = std::chrono::system_clock;

  /// `limiter`: the one rate limiter of the process, so syncs writing to the same destination
  /// account share its token buckets and daily quota.
  sync_service(service_options opts, caf::actor_system& sys, std::shared_ptr<state::state_dir> dir,
               rate_limiter_actor limiter);
  ~sync_service() override;
  sync_service(const sync_service&) = delete;
  sync_service& operator=(const sync_service&) = delete;

  /// Loads the sync files and starts the scheduler thread.
  void start();
  /// Re-reads the syncs directory at the scheduler's next turn (SIGHUP).
  void request_reload();
  /// Stops scheduling and asks running runs to stop after their in-flight batches.
  void begin_stop();
  /// Waits until no run is left or `deadline` passes; true when all runs finished. The run
  /// threads end with the service.
  bool wait_stopped(clock::time_point deadline);
  [[nodiscard]] size_t running_count() const;
  /// Runs going and syncs waiting to start, now.
  [[nodiscard]] schedule_status status() const;

  [[nodiscard]] bool healthy() const override;
  [[nodiscard]] nlohmann::json syncs() const override;
  [[nodiscard]] bool has_sync(const std::string& name) const override;
  [[nodiscard]] nlohmann::json runs(const std::string& name, size_t limit) const override;
  std::string trigger(const std::string& name) override;
  std::string pause(const std::string& name) override;
  std::string resume(const std::string& name) override;
  std::string unpause(const std::string& name) override;
  [[nodiscard]] std::string metrics() const override;

 private:
  /// The scheduler's view of one sync.
  struct sync_slot {
    std::shared_ptr<const sync_config> config;  ///< the newest; a run keeps its own copy
    std::optional<clock::time_point> next_due;  ///< nullopt: manual (runs only when triggered)
    std::optional<clock::time_point> triggered_at;
    bool paused = false;
    bool running = false;
    bool removed = false;  ///< its file went away while it ran: dropped when the run ends
    bool waited_for_slot = false;  ///< was due while every run slot was busy
    std::string account;  ///< its destination account (pauses are per account)
    nlohmann::json last_run;
  };

  /// The slot of a loaded sync (not one whose file went away), or null (needs mutex_).
  sync_slot* live_slot(const std::string& name);
  const sync_slot* live_slot(const std::string& name) const;

  void schedule_loop();
  /// Reloads the catalog and adds, updates or drops slots (needs mutex_).
  void apply_reload();
  /// Starts due syncs, longest waiting first, while slots are free (needs mutex_).
  void start_due_runs(clock::time_point now);
  void run_one(const std::string& name, std::shared_ptr<const sync_config> cfg);
  /// The default run function: sync_runner, history pruning, quota figures.
  nlohmann::json run_with_runner(const sync_config& cfg, const std::atomic<bool>& interrupted);
  /// Shows the sync's destination account's daily quota (used, allowance) in the metrics.
  void record_quota(const sync_config& cfg);
  void finish_run(const std::string& name, const nlohmann::json& summary);
  /// "Schedule slot delayed" lines, at most one per 10 s of each kind (needs mutex_).
  void log_queue_delay(const std::string& name, clock::time_point slot, std::chrono::milliseconds lag);
  void log_overlap_delay(const std::string& name, const nlohmann::json& summary,
                         clock::time_point slot, std::chrono::milliseconds delay);
  /// When the scheduler must look again: the earliest due time, or the next poll.
  clock::time_point next_wake(clock::time_point now) const;
  /// Since when `slot` waits to start (due or triggered); nullopt when it does not wait.
  static std::optional<clock::time_point> waiting_since(const sync_slot& slot, clock::time_point now);
  static std::optional<clock::time_point> first_due(const sync_schedule& when, clock::time_point now);

  service_options opts_;
  caf::actor_system& sys_;
  std::shared_ptr<state::state_dir> dir_;
  rate_limiter_actor limiter_;
  mutable metrics_registry metrics_;  ///< thread-safe; a scrape refreshes its scheduler gauges

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  sync_catalog catalog_;
  dbt_watch dbt_watch_;  ///< run_results.json of the dbt projects the syncs read
  std::map<std::string, sync_slot> slots_;
  log_throttle queue_delay_log_{std::chrono::seconds(10)};    ///< slots that waited for a run slot
  log_throttle overlap_delay_log_{std::chrono::seconds(10)};  ///< slots the sync's own run overran
  size_t running_ = 0;
  bool reload_requested_ = false;
  bool rescan_ = false;  ///< a run finished, or a sync was triggered or resumed: look again
  clock::time_point last_poll_{};
  std::atomic<bool> stopping_{false};  ///< run_options::interrupted of every run
  std::thread scheduler_;
  run_pool pool_;  ///< last: destroyed (its threads joined) before what the runs use
};

}  // namespace backflow
