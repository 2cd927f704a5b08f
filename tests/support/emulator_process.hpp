// A running backflow-emulator (hubspot, webhook, ...) on an ephemeral port, with its control API.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/test_http.hpp"

namespace backflow::testing {

/// Starts `backflow-emulator <kind> --port 0 <extra...>` and waits for its listening line;
/// killed when the object goes away. Control calls throw on a non-200 answer.
class emulator_process {
 public:
  explicit emulator_process(const std::string& kind, const std::vector<std::string>& extra = {});

  /// The emulator (`backflow-emulator --list`) that stands in for a destination type; throws
  /// when none does.
  static std::string for_destination(const std::string& destination_type);
  /// The emulator that stands in for a source (warehouse) type, by the registry's `sources`;
  /// "" when none does (the warehouse is a file or a real server).
  static std::string for_source(const std::string& source_type);

  /// "http://127.0.0.1:PORT" + path.
  [[nodiscard]] std::string url(const std::string& path = "") const { return base_ + path; }

  /// GET /__emulator/<name>, parsed.
  nlohmann::json control_get(const std::string& name);
  /// POST JSON to /__emulator/<name>, parsed.
  nlohmann::json control_post(const std::string& name,
                              const nlohmann::json& body = nlohmann::json::object());

  nlohmann::json records() { return control_get("records")["records"]; }
  nlohmann::json requests() { return control_get("requests"); }
  /// Queues one fault (see the emulator's /__emulator/faults).
  void fault(const nlohmann::json& spec) { control_post("faults", spec); }

  background_process& process() { return process_; }

 private:
  background_process process_;
  std::string base_;
};

}  // namespace backflow::testing
