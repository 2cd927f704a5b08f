// Test helper: the real backflow-emulator binary over HTTP (see emulator_fixture.hpp).
#include "tests/emulators/emulator_fixture.hpp"

#include <ctime>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"

namespace backflow::emulators::testing {
namespace {

std::vector<std::string> with_secret(std::vector<std::string> extra, const std::string& secret) {
  if (!secret.empty())
    extra.insert(extra.end(), {"--secret", secret});
  return extra;
}

}  // namespace

test_response hubspot::batch(const std::string& action, const std::vector<nlohmann::json>& inputs,
                             const std::string& object, const std::string& query) {
  return backflow::testing::http_post_json(
      url("/crm/v3/objects/" + object + "/batch/" + action + (query.empty() ? "" : "?" + query)),
      {{"inputs", inputs}}, {std::string("Authorization: Bearer ") + token});
}

test_response hubspot::upsert_emails(const std::vector<std::string>& emails,
                                     const nlohmann::json& properties) {
  std::vector<nlohmann::json> inputs;
  for (const auto& email : emails)
    inputs.push_back({{"idProperty", "email"}, {"id", email}, {"properties", properties}});
  return batch("upsert", inputs);
}

test_response hubspot::get(const std::string& id, const std::string& query,
                           const std::string& object) {
  return backflow::testing::http_call(
      "GET", url("/crm/v3/objects/" + object + "/" + id + (query.empty() ? "" : "?" + query)), {},
      {std::string("Authorization: Bearer ") + token});
}

webhook::webhook(const std::vector<std::string>& extra, std::string secret)
    : emulator_process("webhook", with_secret(extra, secret)) {
  if (secret.empty())
    secret = "whsec_" + base64_encode("emulator-secret");
  key_ = secret.rfind("whsec_", 0) == 0 ? base64_decode(secret.substr(6)).value() : secret;
}

test_response webhook::send(const std::string& webhook_id, const std::string& body,
                            long timestamp_offset_s, const std::string& signature_override) {
  const auto timestamp = std::to_string(static_cast<long>(std::time(nullptr)) + timestamp_offset_s);
  const auto signature =
      signature_override.empty()
          ? "v1," + base64_encode(hmac_sha256(key_, webhook_id + "." + timestamp + "." + body))
          : signature_override;
  return backflow::testing::http_call(
      "POST", url("/hooks/backflow"), body,
      {"Content-Type: application/json", "webhook-id: " + webhook_id,
       "webhook-timestamp: " + timestamp, "webhook-signature: " + signature});
}

std::string webhook::batch(const std::vector<nlohmann::json>& records) {
  return nlohmann::json{
      {"sync", "test"}, {"run_id", "r1"}, {"batch_id", "b1"}, {"records", records}}
      .dump();
}

}  // namespace backflow::emulators::testing
