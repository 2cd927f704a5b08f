// The counters `backflow serve` exposes on GET /metrics, rendered in the Prometheus text format.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace backflow {

/// Upper bounds (seconds) of the run duration histogram's buckets; +Inf is implied.
inline constexpr std::array<double, 8> run_duration_buckets = {0.1, 0.5, 1, 5, 15, 60, 300, 900};

/// Upper bounds (seconds) of the schedule lag histogram's buckets; +Inf is implied.
inline constexpr std::array<double, 10> schedule_lag_buckets = {0.01, 0.05, 0.1, 0.5, 1,
                                                                5,    15,   60,  300, 900};

/// What the scheduler is doing at one moment (shown as gauges).
struct schedule_status {
  size_t running = 0;
  size_t run_slots = 0;    ///< --max-concurrent-runs
  size_t due_waiting = 0;  ///< due or triggered, not paused, not running: waiting to start
  std::chrono::milliseconds oldest_wait{0};  ///< how long the longest waiting of them has waited
};

/// Counts of a histogram over fixed buckets, its observations summed in whole milliseconds so the
/// rendered sum carries no float drift.
template <size_t N>
struct ms_histogram {
  std::array<uint64_t, N> counts{};  ///< per bucket, not cumulative
  uint64_t count = 0;
  uint64_t sum_ms = 0;

  void observe(uint64_t ms, const std::array<double, N>& bounds) {
    for (size_t i = 0; i < N; ++i) {
      if (static_cast<double>(ms) / 1000.0 <= bounds[i]) {
        ++counts[i];
        break;
      }
    }
    ++count;
    sum_ms += ms;
  }
};

/// Per-sync run figures and per-account quota figures, fed by the service and read by
/// scrapes. Thread-safe: every method may be called from any thread.
class metrics_registry {
 public:
  /// Makes `sync`'s series appear (at zero) before its first run, so rates start from a baseline.
  void add_sync(const std::string& sync);

  /// Adds one finished run, given the summary JSON of run_summary::to_json (status, counts,
  /// api_calls, rate_limit_wait_ms, duration_ms, finished_at). Missing fields count as zero.
  void record_run(const std::string& sync, const nlohmann::json& summary);

  /// Sets `account`'s daily quota figures (remaining is limit - used, never below zero).
  void set_quota(const std::string& account, int64_t used, int64_t limit);

  /// Adds one run start, `lag` after its slot was due or it was triggered (negative counts as 0).
  void record_schedule_lag(std::chrono::milliseconds lag);

  /// Sets the scheduler's gauges (the service refreshes them before each scrape).
  void set_schedule(const schedule_status& now);

  /// Everything in the Prometheus text exposition format 0.0.4, series sorted by label.
  [[nodiscard]] std::string render() const;

 private:
  struct sync_figures {
    std::map<std::string, uint64_t> runs_by_status;
    std::map<std::string, uint64_t> records_by_outcome;
    uint64_t api_calls = 0;
    uint64_t rate_limit_wait_ms = 0;  ///< summed over the run's requests
    double last_success_seconds = 0;  ///< unix time; 0 = no successful run yet
    ms_histogram<run_duration_buckets.size()> duration;
  };
  struct account_figures {
    bool has_quota = false;
    int64_t quota_used = 0;
    int64_t quota_limit = 0;
  };

  sync_figures& figures_of(const std::string& sync);  // needs mutex_ held

  mutable std::mutex mutex_;
  std::map<std::string, sync_figures> syncs_;
  std::map<std::string, account_figures> accounts_;
  ms_histogram<schedule_lag_buckets.size()> schedule_lag_;
  schedule_status schedule_;
};

/// `value` escaped for a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

/// A sample value as Prometheus reads it: integers without a fraction, +Inf, NaN.
std::string format_sample_value(double value);

}  // namespace backflow
