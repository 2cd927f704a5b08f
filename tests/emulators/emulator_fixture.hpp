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

/// A Salesforce emulator with helpers for its REST and Bulk 2.0 APIs (API version v59.0).
class salesforce : public emulator_process {
 public:
  static constexpr const char* token = "emulator-token";

  explicit salesforce(const std::vector<std::string>& extra = {})
      : emulator_process("salesforce", extra) {}

  /// Any API call under /services/data/v59.0/ with the bearer token.
  test_response call(const std::string& method, const std::string& path,
                     const std::string& body = {},
                     const std::string& content_type = "application/json");
  /// PATCH composite/sobjects/{object}/{field} with these records.
  test_response upsert(const std::vector<nlohmann::json>& records, bool all_or_none = false,
                       const std::string& object = "Contact",
                       const std::string& field = "Ext_Id__c");
  /// A collections record of `type` keyed by Ext_Id__c = `key`, with extra fields.
  static nlohmann::json record(const std::string& key,
                               const nlohmann::json& fields = nlohmann::json::object(),
                               const std::string& type = "Contact");
  /// Creates a Bulk 2.0 job (`spec` merged over an upsert of Contact by Ext_Id__c); its id.
  std::string create_job(const nlohmann::json& spec = nlohmann::json::object());
  /// Uploads `csv` to job `id` and marks it UploadComplete (both must succeed).
  void upload_and_close(const std::string& id, const std::string& csv);
  /// Polls job `id` until it is JobComplete, Failed or Aborted; the JobInfo, with every state
  /// seen on the way in "seen".
  nlohmann::json wait_job(const std::string& id);
  /// The live stored record whose Ext_Id__c is `key` (null json when absent or deleted).
  nlohmann::json stored(const std::string& key);
};

/// A Meta Custom Audiences emulator with helpers for the users edge.
class meta : public emulator_process {
 public:
  static constexpr const char* token = "emulator-token";
  static constexpr const char* audience = "23850000000000001";

  explicit meta(const std::vector<std::string>& extra = {}) : emulator_process("meta", extra) {}

  /// POST (add) or DELETE (remove) /v19.0/{audience}/users with a JSON body and the token as a
  /// query parameter; `session` is left out when null.
  test_response users(const std::string& method, const nlohmann::json& payload,
                      const nlohmann::json& session = nullptr,
                      const std::string& audience_id = audience);
  /// The members of one audience from /__emulator/records.
  nlohmann::json members(const std::string& audience_id = audience);
  /// SHA-256 hex of `text`, as clients send normalised values.
  static std::string hash(const std::string& text);
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
