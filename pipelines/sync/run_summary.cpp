// The record of one run (see run_summary.hpp).
#include "pipelines/sync/run_summary.hpp"

#include "pipelines/sync/incremental_read.hpp"

#include <chrono>
#include <ctime>
#include <sstream>

#include <sys/resource.h>

namespace backflow {

const char* to_string(run_status s) {
  switch (s) {
    case run_status::success:
      return "success";
    case run_status::partial:
      return "partial";
    case run_status::config_error:
      return "config_error";
    case run_status::aborted:
      return "aborted";
    case run_status::incomplete:
      return "incomplete";
    case run_status::stale:
      return "stale";
    case run_status::planned:
      return "planned";
    case run_status::damaged:
      return "damaged";
  }
  return "unknown";
}

int exit_code(run_status s) {
  switch (s) {
    case run_status::planned:
      return 0;
    case run_status::damaged:
      return 6;
    default:
      return static_cast<int>(s);
  }
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

nlohmann::json run_summary::to_json() const {
  nlohmann::json rejected_json = nlohmann::json::array();
  for (const auto& r : rejected)
    rejected_json.push_back({{"key", r.key}, {"reason", r.reason}});
  nlohmann::json j = {
    {"sync", sync},
    {"run_id", run_id},
    {"status", to_string(status)},
    {"exit_code", exit_code(status)},
    {"resumed", resumed},
    {"started_at", started_at},
    {"finished_at", finished_at},
    {"duration_ms", duration_ms},
    {"plan_ms", plan_ms},
    {"apply_ms", apply_ms},
    {"counts",
     {{"extracted", plan.extracted},
      {"added", plan.added},
      {"changed", plan.changed},
      {"deleted", plan.deleted},
      {"unchanged", plan.unchanged},
      {"unchanged_rejected", plan.unchanged_rejected},
      {"not_updated", plan.not_updated},
      {"delivered", outcomes.delivered},
      {"rejected", outcomes.rejected},
      {"skipped", outcomes.skipped},
      {"failed", outcomes.failed},
      {"retried", outcomes.retried}}},
    {"api_calls", api_calls},
    {"splits", splits},
    {"rate_limit_wait_ms", rate_limit_wait_ms},
    {"rejected", rejected_json},
    {"peak_rss_mb", static_cast<int64_t>(peak_rss_mb + 0.5)},
  };
  if (resumed)
    j["resumed_from"] = resumed_from;
  if (jobs > 0)
    j["jobs"] = jobs;
  if (!destination.counters.empty() || !destination.samples.empty()) {
    nlohmann::json d = destination.counters;
    d["samples"] = destination.samples;
    j["destination"] = std::move(d);
  }
  if (!error.empty())
    j["error"] = error;
  if (!problems.empty())
    j["problems"] = problems;
  if (!read_window.is_null())
    j["read"] = read_window;
  if (!dbt_gate.is_null())
    j["dbt_gate"] = dbt_gate;
  if (!writeback.is_null())
    j["writeback"] = writeback;
  return j;
}

std::string run_summary::to_text() const {
  std::ostringstream out;
  out << "run " << run_id << " of " << sync << ": " << to_string(status);
  if (resumed)
    out << " (first finished the change set of interrupted run " << resumed_from << ")";
  out << " in " << duration_ms << " ms\n";
  out << "  plan:      " << plan.added << " added, " << plan.changed << " changed, "
      << plan.deleted << " deleted, " << plan.unchanged << " unchanged"
      << (plan.unchanged_rejected
              ? ", " + std::to_string(plan.unchanged_rejected) + " still rejected (row unchanged)"
              : std::string())
      << (plan.not_updated ? ", " + std::to_string(plan.not_updated) +
                                 " differ but are not updated in insert mode"
                           : std::string())
      << " (" << plan.extracted << " rows read)\n";
  if (!read_window.is_null())
    out << "  read:      " << read_window_text(read_window) << "\n";
  if (dbt_gate.is_object())
    out << "  dbt gate:  " << (dbt_gate.value("open", false) ? "open" : "closed") << " ("
        << dbt_gate.value("tests_checked", 0) << " tests on the model and its upstream nodes)\n";
  out << "  delivery:  " << outcomes.delivered << " delivered, " << outcomes.rejected
      << " rejected, " << outcomes.skipped << " settled without a request, " << outcomes.failed
      << " left for the next run; " << api_calls << " API calls, " << outcomes.retried
      << " records retried\n";
  for (const auto& [name, value] : destination.counters)
    out << "  " << name << ": " << value << "\n";
  for (const auto& sample : destination.samples)
    out << "  sample:    " << sample << "\n";
  for (const auto& p : problems)
    out << "  problem:   " << p << "\n";
  for (const auto& r : rejected)
    out << "  rejected:  " << r.key << ": " << r.reason << "\n";
  if (!error.empty())
    out << "  error:     " << error << "\n";
  if (writeback.is_object())
    out << "  writeback: " << writeback.value("status", "") << " (" << writeback.value("runs", 0)
        << " runs, " << writeback.value("records", 0) << " records, " << writeback.value("ids", 0)
        << " ids; " << writeback.value("pending", 0) << " outcomes pending)"
        << (writeback.contains("error") ? ": " + writeback.value("error", "") : std::string())
        << "\n";
  return out.str();
}

}  // namespace backflow
