// The log of API requests an emulator answered: totals, per-endpoint counts and the latest entries.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace backflow::emulators {

/// One answered API request.
struct logged_request {
  std::string method;
  std::string path;
  int status = 0;  ///< 0 when the connection was dropped
  std::size_t inputs = 0;
  double ms = 0;
  std::string body;  ///< the request body, kept only when the server logs bodies (--log-bodies)
};

/// A thread-safe request log; keeps full counts and the last `capacity` entries.
class request_log {
 public:
  explicit request_log(std::size_t capacity = 2000) : capacity_(capacity) {}

  /// Records one request under its endpoint ("POST /crm/v3/objects/contacts/batch/upsert").
  void record(const std::string& endpoint, logged_request entry);

  /// `{"count","inputs","by_endpoint":{...},"log":[...]}` for GET /__emulator/requests.
  [[nodiscard]] nlohmann::json to_json() const;

  void clear();

 private:
  struct endpoint_stats {
    std::uint64_t requests = 0;
    std::uint64_t inputs = 0;
    std::map<int, std::uint64_t> statuses;
  };

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::uint64_t count_ = 0;
  std::uint64_t inputs_ = 0;
  std::map<std::string, endpoint_stats> by_endpoint_;
  std::deque<logged_request> recent_;
};

}  // namespace backflow::emulators
