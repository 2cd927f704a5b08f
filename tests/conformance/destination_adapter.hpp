// What the conformance suite needs to know about one destination and its emulator.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

namespace backflow::testing {

/// One destination as the conformance scenarios see it (filled in tests/destinations/<name>.cpp).
/// The suite runs every destination of the destination registry and fails for one without a
/// test entry. Its emulator is the one the emulator registry names for its type.
struct destination_adapter {
  std::string type;          ///< the sync file's destination.type
  std::vector<std::string> emulator_args;  ///< no rate limits, unless the scenario sets some
  std::string mode;          ///< a mode that sends adds, changes and deletes

  /// The sync file for a contacts model (key: email) against the emulator.
  std::function<nlohmann::json(const contacts_model&, emulator_process&)> sync;

  /// The records the destination now holds, by the key the model row maps to.
  std::function<std::map<std::string, nlohmann::json>(emulator_process&)> live;
  /// The key live() files a model row under (the email, or a hash of it).
  std::function<std::string(const std::string& email)> key_of;
  /// The score a live record carries, when the destination stores fields.
  std::function<std::optional<double>(const nlohmann::json&)> score_of;
  /// Why some record was created more than once ("" when none was).
  std::function<std::string(emulator_process&)> created_twice;

  /// Changes the given rows in a way the sync sends (default: their score).
  std::function<void(contacts_model&, const std::vector<int>&)> change;
  /// Records one change() sends: 2 where a record is identified by the values that changed
  /// (an audience member's old identifiers are removed, then the new ones added).
  int records_per_change = 1;

  /// Matches the destination's write requests, for queued faults.
  nlohmann::json write_match;
  /// Prepares the emulator so the row planted by plant_bad_row() is refused (if it needs to).
  std::function<void(emulator_process&)> refuse_bad_rows;
};

/// Fast retries for the scenarios' sync files (`delivery`).
inline const nlohmann::json conformance_retries = {{"retry_initial", "20ms"}, {"retry_max", "1s"}};

/// A field's value as a number: a JSON number or a numeric string; nullopt otherwise.
inline std::optional<double> number_of(const nlohmann::json& v) {
  if (v.is_number())
    return v.get<double>();
  if (v.is_string()) {
    try {
      return std::stod(v.get<std::string>());
    } catch (...) {
    }
  }
  return std::nullopt;
}

/// A row each adapter's destination refuses: email "not-an-email", tier "invalid-tier".
void plant_bad_row(contacts_model& model);
inline const std::string bad_row_key = "not-an-email";

/// The total number of records the emulator received in write requests.
int64_t records_received(emulator_process& emulator);

}  // namespace backflow::testing
