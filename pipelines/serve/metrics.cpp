// The counters of `backflow serve` (see metrics.hpp).
#include "pipelines/serve/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "pipelines/core/clock.hpp"

namespace backflow {
namespace {

// Listed even before they happen, so `increase()` sees the first failure as a step from zero.
constexpr const char* known_statuses[] = {"success", "partial", "aborted", "incomplete",
                                          "config_error", "stale"};
constexpr const char* record_outcomes[] = {"delivered", "rejected", "failed", "retried"};

uint64_t count_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object())
    return 0;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number())
    return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>()
                                  : static_cast<uint64_t>(std::max<double>(0, it->get<double>()));
}

/// Unix seconds of "2026-11-24T10:00:00.123Z"; 0 when unreadable.
double parse_iso_seconds(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&tm));
  if (static_cast<size_t>(consumed) < text.size() && text[consumed] == '.') {
    double scale = 0.1;
    for (size_t i = consumed + 1; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
         ++i, scale /= 10)
      seconds += (text[i] - '0') * scale;
  }
  return seconds;
}

/// Completion time of a run: its finished_at, or now when the summary lacks one.
double finished_seconds(const nlohmann::json& summary) {
  if (summary.contains("finished_at") && summary["finished_at"].is_string()) {
    double parsed = parse_iso_seconds(summary["finished_at"].get<std::string>());
    if (parsed > 0)
      return parsed;
  }
  return static_cast<double>(wall_now_ms()) / 1000.0;
}

void family(std::ostream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void sample(std::ostream& out, const std::string& name, const std::string& labels, double value) {
  if (labels.empty())
    out << name << ' ' << format_sample_value(value) << '\n';
  else
    out << name << '{' << labels << "} " << format_sample_value(value) << '\n';
}

/// The _bucket (cumulative), _sum and _count series of one histogram; `labels` may be empty.
template <size_t N>
void histogram(std::ostream& out, const std::string& name, const std::string& labels,
               const std::array<double, N>& bounds, const ms_histogram<N>& h) {
  const std::string prefix = labels.empty() ? std::string() : labels + ',';
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    sample(out, name + "_bucket", prefix + "le=\"" + format_sample_value(bounds[i]) + '"',
           static_cast<double>(cumulative));
  }
  sample(out, name + "_bucket", prefix + "le=\"+Inf\"", static_cast<double>(h.count));
  sample(out, name + "_sum", labels, static_cast<double>(h.sum_ms) / 1000.0);
  sample(out, name + "_count", labels, static_cast<double>(h.count));
}

std::string label(const char* key, const std::string& value) {
  return std::string(key) + "=\"" + escape_label_value(value) + '"';
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
    return buf;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest exact form
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

metrics_registry::sync_figures& metrics_registry::figures_of(const std::string& sync) {
  auto [it, added] = syncs_.try_emplace(sync);
  if (added) {
    for (const char* status : known_statuses)
      it->second.runs_by_status[status] = 0;
    for (const char* outcome : record_outcomes)
      it->second.records_by_outcome[outcome] = 0;
  }
  return it->second;
}

void metrics_registry::add_sync(const std::string& sync) {
  std::lock_guard lock(mutex_);
  figures_of(sync);
}

void metrics_registry::record_run(const std::string& sync, const nlohmann::json& summary) {
  const std::string status = summary.is_object() && summary.contains("status") &&
                                     summary["status"].is_string()
                                 ? summary["status"].get<std::string>()
                                 : "unknown";
  const nlohmann::json counts = summary.is_object() ? summary.value("counts", nlohmann::json::object())
                                                    : nlohmann::json::object();
  const uint64_t duration_ms = count_field(summary, "duration_ms");

  std::lock_guard lock(mutex_);
  auto& figures = figures_of(sync);
  ++figures.runs_by_status[status];
  for (const char* outcome : record_outcomes)
    figures.records_by_outcome[outcome] += count_field(counts, outcome);
  figures.api_calls += count_field(summary, "api_calls");
  figures.rate_limit_wait_ms += count_field(summary, "rate_limit_wait_ms");
  // A partial run finished and delivered everything deliverable: the data is as fresh as after a
  // success, and one permanently invalid record must not make a sync look stale forever.
  if (status == "success" || status == "partial")
    figures.last_success_seconds = std::max(figures.last_success_seconds, finished_seconds(summary));
  figures.duration.observe(duration_ms, run_duration_buckets);
}

void metrics_registry::record_schedule_lag(std::chrono::milliseconds lag) {
  std::lock_guard lock(mutex_);
  schedule_lag_.observe(static_cast<uint64_t>(std::max<int64_t>(0, lag.count())), schedule_lag_buckets);
}

void metrics_registry::set_schedule(const schedule_status& now) {
  std::lock_guard lock(mutex_);
  schedule_ = now;
}

void metrics_registry::set_quota(const std::string& account, int64_t used, int64_t limit) {
  std::lock_guard lock(mutex_);
  auto& figures = accounts_[account];
  figures.has_quota = true;
  figures.quota_used = used;
  figures.quota_limit = limit;
}

std::string metrics_registry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;

  family(out, "backflow_runs_total", "counter", "Finished runs by status.");
  for (const auto& [sync, f] : syncs_)
    for (const auto& [status, n] : f.runs_by_status)
      sample(out, "backflow_runs_total", label("sync", sync) + ',' + label("status", status),
             static_cast<double>(n));

  family(out, "backflow_records_total", "counter",
         "Records by delivery outcome (failed = left for the next run).");
  for (const auto& [sync, f] : syncs_)
    for (const auto& [outcome, n] : f.records_by_outcome)
      sample(out, "backflow_records_total", label("sync", sync) + ',' + label("outcome", outcome),
             static_cast<double>(n));

  family(out, "backflow_api_calls_total", "counter", "Requests sent to the destination.");
  for (const auto& [sync, f] : syncs_)
    sample(out, "backflow_api_calls_total", label("sync", sync), static_cast<double>(f.api_calls));

  family(out, "backflow_last_success_timestamp_seconds", "gauge",
         "Unix time the last run finished with status success or partial.");
  for (const auto& [sync, f] : syncs_)
    if (f.last_success_seconds > 0)
      sample(out, "backflow_last_success_timestamp_seconds", label("sync", sync),
             f.last_success_seconds);

  family(out, "backflow_run_duration_seconds", "histogram", "Wall-clock duration of runs.");
  for (const auto& [sync, f] : syncs_)
    histogram(out, "backflow_run_duration_seconds", label("sync", sync), run_duration_buckets, f.duration);

  family(out, "backflow_rate_limit_wait_seconds_total", "counter",
         "Time requests waited for their account's shared rate limiter, summed over requests.");
  for (const auto& [sync, f] : syncs_)
    sample(out, "backflow_rate_limit_wait_seconds_total", label("sync", sync),
           static_cast<double>(f.rate_limit_wait_ms) / 1000.0);

  family(out, "backflow_quota_used", "gauge", "Destination API calls used in the current quota day.");
  for (const auto& [account, a] : accounts_)
    if (a.has_quota)
      sample(out, "backflow_quota_used", label("account", account), static_cast<double>(a.quota_used));

  family(out, "backflow_quota_remaining", "gauge",
         "Destination API calls left in the current quota day.");
  for (const auto& [account, a] : accounts_)
    if (a.has_quota)
      sample(out, "backflow_quota_remaining", label("account", account),
             static_cast<double>(std::max<int64_t>(0, a.quota_limit - a.quota_used)));

  family(out, "backflow_schedule_lag_seconds", "histogram",
         "Time from a run's scheduled slot, or its trigger, to its start.");
  histogram(out, "backflow_schedule_lag_seconds", "", schedule_lag_buckets, schedule_lag_);

  family(out, "backflow_syncs_due_waiting", "gauge",
         "Syncs due or triggered that have not started: waiting for a free run slot.");
  sample(out, "backflow_syncs_due_waiting", "", static_cast<double>(schedule_.due_waiting));

  family(out, "backflow_schedule_oldest_wait_seconds", "gauge",
         "How long the longest waiting of the syncs due has waited to start.");
  sample(out, "backflow_schedule_oldest_wait_seconds", "",
         static_cast<double>(schedule_.oldest_wait.count()) / 1000.0);

  family(out, "backflow_runs_in_progress", "gauge", "Runs going now.");
  sample(out, "backflow_runs_in_progress", "", static_cast<double>(schedule_.running));

  family(out, "backflow_run_slots", "gauge", "Runs that may go at once (--max-concurrent-runs).");
  sample(out, "backflow_run_slots", "", static_cast<double>(schedule_.run_slots));
  return out.str();
}

}  // namespace backflow
