// The record of one run: counts, status, exit code; printed, stored in LMDB, served as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/delivery/outcome_counts.hpp"
#include "pipelines/delivery/record.hpp"
#include "pipelines/diff/plan_counts.hpp"

namespace backflow {

/// Exit codes of `backflow run` (and the status names stored with each run).
enum class run_status {
  success = 0,       ///< everything planned was delivered (or settled)
  partial = 1,       ///< finished, but the destination rejected some records
  config_error = 2,  ///< the sync file or the command line is wrong
  aborted = 3,       ///< a guard or a bad model stopped the run before any write
  incomplete = 4,    ///< could not finish (destination down, quota spent); next run resumes
  stale = 5,         ///< the freshness guard found the model's data too old: nothing was sent
  planned = 6,       ///< `plan` only: nothing was sent (exit code 0)
  damaged = 7,       ///< the state directory is damaged: nothing was sent from it (exit code 6)
};

const char* to_string(run_status s);
int exit_code(run_status s);

struct rejected_sample {
  std::string key;
  std::string reason;
};

struct run_summary {
  std::string sync;
  uint64_t run_id = 0;
  run_status status = run_status::success;
  bool resumed = false;
  uint64_t resumed_from = 0;
  std::string started_at;
  std::string finished_at;
  int64_t duration_ms = 0;
  int64_t plan_ms = 0;   ///< time spent reading and diffing the model
  int64_t apply_ms = 0;  ///< time spent delivering the change set(s)
  plan_counts plan;        ///< what the plan found (resent_rejected and stored_before not shown)
  outcome_counts outcomes;  ///< what became of the changes (`failed`: left in the change set)
  uint64_t api_calls = 0;
  uint64_t splits = 0;
  uint64_t jobs = 0;                ///< asynchronous (bulk) jobs completed
  int64_t rate_limit_wait_ms = 0;   ///< time requests waited for the rate limiter, summed
  destination_notes destination;   ///< destination-specific figures (e.g. Meta invalid entries)
  std::string error;                  ///< why it did not finish, or what was wrong
  std::vector<std::string> problems;  ///< bad keys, tripped guards, config errors
  std::vector<rejected_sample> rejected;  ///< up to 10, with the vendor's reasons
  double peak_rss_mb = 0;
  /// Incremental syncs: the window read (incremental_read.hpp, read_window::to_json); else null.
  nlohmann::json read_window;
  /// Syncs of a dbt model: the gate's verdict (dbt_gate.hpp, gate_verdict::to_json); else null.
  nlohmann::json dbt_gate;
  /// Syncs with `writeback`: what was copied to the warehouse (writeback.hpp,
  /// writeback_report::to_json); else null.
  nlohmann::json writeback;

  [[nodiscard]] nlohmann::json to_json() const;
  /// A few human lines for the terminal.
  [[nodiscard]] std::string to_text() const;
};

/// "2026-11-24T10:00:00.123Z" for now.
std::string iso_now();
/// Peak resident set size of this process so far, in MiB.
double peak_rss_mb();

}  // namespace backflow
