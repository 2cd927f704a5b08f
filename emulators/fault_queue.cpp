// Scripted failures for API requests (see fault_queue.hpp).
#include "emulators/fault_queue.hpp"

#include <algorithm>

#include <strings.h>

namespace backflow::emulators {
namespace {

void note(std::string& problems, const std::string& text) {
  problems += (problems.empty() ? "" : "; ") + text;
}

/// Reads an optional non-negative integer field; notes a problem when it has another type.
std::int64_t int_field(const nlohmann::json& spec, const char* key, std::int64_t fallback,
                       std::int64_t minimum, std::string& problems) {
  auto it = spec.find(key);
  if (it == spec.end())
    return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() < minimum) {
    note(problems, std::string("'") + key + "' must be an integer >= " + std::to_string(minimum));
    return fallback;
  }
  return it->get<std::int64_t>();
}

bool bool_field(const nlohmann::json& spec, const char* key, std::string& problems) {
  auto it = spec.find(key);
  if (it == spec.end())
    return false;
  if (!it->is_boolean()) {
    note(problems, std::string("'") + key + "' must be a boolean");
    return false;
  }
  return it->get<bool>();
}

void parse_match(const nlohmann::json& match, fault& f, std::string& problems) {
  if (!match.is_object()) {
    note(problems, "'match' must be an object");
    return;
  }
  for (const auto& [key, value] : match.items()) {
    if ((key != "method" && key != "path_contains") || !value.is_string()) {
      note(problems, "'match." + key + "' is not a string field of match (method, path_contains)");
      continue;
    }
    (key == "method" ? f.method : f.path_contains) = value.get<std::string>();
  }
}

void parse_headers(const nlohmann::json& headers, fault& f, std::string& problems) {
  if (!headers.is_object()) {
    note(problems, "'headers' must be an object of strings");
    return;
  }
  for (const auto& [name, value] : headers.items()) {
    if (value.is_string())
      f.headers.emplace_back(name, value.get<std::string>());
    else if (value.is_number())
      f.headers.emplace_back(name, value.dump());
    else
      note(problems, "header '" + name + "' must be a string");
  }
}

bool matches(const fault& f, const std::string& method, const std::string& path) {
  if (!f.method.empty() && strcasecmp(f.method.c_str(), method.c_str()) != 0)
    return false;
  return f.path_contains.empty() || path.find(f.path_contains) != std::string::npos;
}

}  // namespace

result<fault> parse_fault(const nlohmann::json& spec) {
  if (!spec.is_object())
    return failure{"a fault must be a JSON object"};
  static const std::vector<std::string> known = {"match",   "nth",      "count", "status", "body",
                                                 "headers", "delay_ms", "drop",  "apply"};
  fault f;
  std::string problems;
  for (const auto& [key, value] : spec.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      note(problems, "unknown fault field '" + key + "'");
  if (auto it = spec.find("match"); it != spec.end())
    parse_match(*it, f, problems);
  f.nth = static_cast<int>(int_field(spec, "nth", 1, 1, problems));
  f.count = static_cast<int>(int_field(spec, "count", 1, 1, problems));
  f.status = static_cast<int>(int_field(spec, "status", 0, 0, problems));
  if (f.status != 0 && (f.status < 100 || f.status > 599))
    note(problems, "'status' must be between 100 and 599");
  f.delay_ms = int_field(spec, "delay_ms", 0, 0, problems);
  f.drop = bool_field(spec, "drop", problems);
  f.apply = bool_field(spec, "apply", problems);
  if (auto it = spec.find("body"); it != spec.end())
    f.body = it->is_string() ? it->get<std::string>() : it->dump();
  if (auto it = spec.find("headers"); it != spec.end())
    parse_headers(*it, f, problems);
  if (f.status == 0 && !f.drop && f.delay_ms == 0 && f.headers.empty())
    note(problems, "a fault needs at least one of 'status', 'drop', 'delay_ms' or 'headers'");
  if (f.status == 0 && !f.body.empty())
    note(problems, "'body' needs 'status' (a drop sends part of the emulator's own body)");
  if (f.apply && !f.answers())
    note(problems, "'apply' needs 'status' or 'drop'");
  if (!problems.empty())
    return failure{problems};
  return f;
}

nlohmann::json fault_to_json(const fault& f) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : f.headers)
    headers[name] = value;
  nlohmann::json out = {{"id", f.id},
                        {"match", {{"method", f.method}, {"path_contains", f.path_contains}}},
                        {"nth", f.nth},
                        {"count", f.count},
                        {"delay_ms", f.delay_ms},
                        {"drop", f.drop},
                        {"apply", f.apply},
                        {"headers", headers},
                        {"seen", f.seen},
                        {"fired", f.fired}};
  if (f.status != 0) {
    out["status"] = f.status;
    out["body"] = f.body;
  }
  return out;
}

std::uint64_t fault_queue::push(fault f) {
  std::lock_guard lock(mutex_);
  f.id = next_id_++;
  f.seen = 0;
  f.fired = 0;
  pending_.push_back(std::move(f));
  size_ = pending_.size();
  return pending_.back().id;
}

std::optional<fault> fault_queue::next(const std::string& method, const std::string& path) {
  if (size_.load(std::memory_order_relaxed) == 0)
    return std::nullopt;
  std::lock_guard lock(mutex_);
  auto chosen = pending_.end();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (!matches(*it, method, path))
      continue;
    ++it->seen;
    if (chosen == pending_.end() && it->seen >= it->nth)
      chosen = it;
  }
  if (chosen == pending_.end())
    return std::nullopt;
  ++chosen->fired;
  fault fired = *chosen;
  if (chosen->fired >= chosen->count)
    pending_.erase(chosen);
  size_ = pending_.size();
  return fired;
}

nlohmann::json fault_queue::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : pending_)
    list.push_back(fault_to_json(f));
  return list;
}

void fault_queue::clear() {
  std::lock_guard lock(mutex_);
  pending_.clear();
  size_ = 0;
}

}  // namespace backflow::emulators
