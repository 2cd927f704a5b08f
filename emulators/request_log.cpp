// The log of API requests an emulator answered (see request_log.hpp).
#include "emulators/request_log.hpp"

#include <cmath>

namespace backflow::emulators {

void request_log::record(const std::string& endpoint, logged_request entry) {
  std::lock_guard lock(mutex_);
  ++count_;
  inputs_ += entry.inputs;
  auto& stats = by_endpoint_[endpoint];
  ++stats.requests;
  stats.inputs += entry.inputs;
  ++stats.statuses[entry.status];
  recent_.push_back(std::move(entry));
  if (recent_.size() > capacity_)
    recent_.pop_front();
}

nlohmann::json request_log::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [name, stats] : by_endpoint_) {
    nlohmann::json statuses = nlohmann::json::object();
    for (const auto& [status, n] : stats.statuses)
      statuses[std::to_string(status)] = n;
    endpoints[name] = {
        {"requests", stats.requests}, {"inputs", stats.inputs}, {"status", statuses}};
  }
  nlohmann::json log = nlohmann::json::array();
  for (const auto& e : recent_) {
    log.push_back({{"method", e.method},
                   {"path", e.path},
                   {"status", e.status},
                   {"inputs", e.inputs},
                   {"ms", std::round(e.ms * 1000.0) / 1000.0}});
    if (!e.body.empty())
      log.back()["body"] = e.body;
  }
  nlohmann::json out = nlohmann::json::object();
  out["count"] = count_;
  out["inputs"] = inputs_;
  out["by_endpoint"] = std::move(endpoints);
  out["log"] = std::move(log);
  return out;
}

void request_log::clear() {
  std::lock_guard lock(mutex_);
  count_ = 0;
  inputs_ = 0;
  by_endpoint_.clear();
  recent_.clear();
}

}  // namespace backflow::emulators
