// Test helper: starts the real backflow-emulator binary on an ephemeral port and talks HTTP to it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/emulator_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_http.hpp"

namespace backflow::emulators::testing {

using backflow::testing::test_response;

using backflow::testing::emulator_process;

/// A HubSpot emulator with helpers for its API.
class hubspot : public emulator_process {
 public:
  static constexpr const char* token = "emulator-token";

  explicit hubspot(const std::vector<std::string>& extra = {})
      : emulator_process("hubspot", extra) {}

  /// POST /crm/v3/objects/{object}/batch/{action} with the default token. (A vector, because a
  /// one-element braced list of json would copy the element instead of making an array.)
  test_response batch(const std::string& action, const std::vector<nlohmann::json>& inputs,
                      const std::string& object = "contacts", const std::string& query = "");
  /// Upserts contacts by email: one input per (email, properties).
  test_response upsert_emails(const std::vector<std::string>& emails,
                              const nlohmann::json& properties = nlohmann::json::object());
  /// GET /crm/v3/objects/{object}/{id}[?query].
  test_response get(const std::string& id, const std::string& query = "",
                    const std::string& object = "contacts");
  /// The emulator's stored records.
};

/// A webhook emulator with helpers to sign and send batches.
class webhook : public emulator_process {
 public:
  explicit webhook(const std::vector<std::string>& extra = {}, std::string secret = "");

  /// Sends a signed batch; `timestamp_offset_s` moves webhook-timestamp away from now.
  test_response send(const std::string& webhook_id, const std::string& body,
                     long timestamp_offset_s = 0, const std::string& signature_override = "");
  /// A batch body with these records.
  static std::string batch(const std::vector<nlohmann::json>& records);

 private:
  std::string key_;
};

}  // namespace backflow::emulators::testing
