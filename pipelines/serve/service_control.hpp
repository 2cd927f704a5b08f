// What the HTTP interface of `backflow serve` may ask of the running service (thread-safe).
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace backflow {

/// Implemented by the service (sync_service); used by the HTTP interface (http_api). Every
/// method may be called from any thread at any time while the service runs.
class service_control {
 public:
  virtual ~service_control() = default;

  /// Whether the service is up and scheduling (false while it stops).
  [[nodiscard]] virtual bool healthy() const = 0;

  /// Every loaded sync: {"name", "file", "destination", "mode", "schedule", "paused", "running",
  /// "next_run_at", "last_run" (summary JSON or null)}, plus the sync files that failed to load
  /// as {"file", "errors": [...]} under "invalid". Shape: {"syncs": [...], "invalid": [...]}.
  [[nodiscard]] virtual nlohmann::json syncs() const = 0;

  /// Whether a sync named `name` is loaded (and its file has not gone away).
  [[nodiscard]] virtual bool has_sync(const std::string& name) const = 0;

  /// The newest `limit` run summaries of sync `name`, newest first; null when no such sync.
  [[nodiscard]] virtual nlohmann::json runs(const std::string& name, size_t limit) const = 0;

  /// Asks for a run of `name` as soon as a slot is free. "" when queued, else why not (unknown
  /// sync; it is paused). A sync already running runs again right after.
  virtual std::string trigger(const std::string& name) = 0;

  /// Pauses or resumes the schedule of `name` (a running run finishes). "" or why not.
  virtual std::string pause(const std::string& name) = 0;
  virtual std::string resume(const std::string& name) = 0;

  /// Lifts a pause the destination of `name` asked its account for (a Retry-After, a usage
  /// header), for every sync of that account. "" or why not.
  virtual std::string unpause(const std::string& name) = 0;

  /// The service's metrics in the Prometheus text exposition format (version 0.0.4).
  [[nodiscard]] virtual std::string metrics() const = 0;
};

/// What both sides say of a name no loaded sync has.
inline std::string no_sync_named(const std::string& name) {
  return "no sync named \"" + name + "\"";
}

}  // namespace backflow
