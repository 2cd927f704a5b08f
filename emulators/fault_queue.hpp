// Scripted failures for API requests: a queue of faults, each aimed at the nth matching request.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"

namespace backflow::emulators {

/// One queued fault, as posted to /__emulator/faults.
///
/// It fires on the `nth` matching request counted from when it was queued, then on the
/// following matching requests until it has fired `count` times. With `status` or `drop` it
/// replaces the answer; with only `headers` (and perhaps `delay_ms`) the emulator answers as
/// usual and the headers are set on its answer, replacing same-named ones (vendor usage
/// headers on a success, e.g. Sforce-Limit-Info).
struct fault {
  std::uint64_t id = 0;
  std::string method;         ///< "" matches any method
  std::string path_contains;  ///< "" matches any path
  int nth = 1;
  int count = 1;
  int status = 0;  ///< 0: no status of its own (a pure delay, or a drop)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t delay_ms = 0;
  bool drop = false;   ///< break the connection mid-response
  bool apply = false;  ///< process the request first, then answer the fault

  int seen = 0;  ///< matching requests since it was queued
  int fired = 0;

  /// True when the fault replaces the answer (rather than only delaying or decorating it).
  [[nodiscard]] bool answers() const { return status != 0 || drop; }
};

/// Parses the JSON body of POST /__emulator/faults; all problems are reported at once.
result<fault> parse_fault(const nlohmann::json& spec);

/// The JSON form of a fault, for GET /__emulator/faults.
nlohmann::json fault_to_json(const fault& f);

/// A thread-safe queue of faults, consulted once per API request.
class fault_queue {
 public:
  /// Queues `f` and returns its id.
  std::uint64_t push(fault f);

  /// Counts one API request against every matching fault and returns the one that fires, if any
  /// (the first due one in queue order). Faults that have fired `count` times are removed.
  std::optional<fault> next(const std::string& method, const std::string& path);

  /// The pending faults.
  [[nodiscard]] nlohmann::json to_json() const;

  void clear();

 private:
  mutable std::mutex mutex_;
  std::deque<fault> pending_;
  std::atomic<std::size_t> size_{0};  ///< lets next() skip the lock when nothing is queued
  std::uint64_t next_id_ = 1;
};

}  // namespace backflow::emulators
