// Test helper: the real backflow-emulator binary over HTTP (see emulator_fixture.hpp).
#include "tests/emulators/emulator_fixture.hpp"

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <thread>

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

test_response salesforce::call(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type) {
  return backflow::testing::http_call(
      method, url("/services/data/v59.0/" + path), body,
      {std::string("Authorization: Bearer ") + token, "Content-Type: " + content_type});
}

test_response salesforce::upsert(const std::vector<nlohmann::json>& records, bool all_or_none,
                                 const std::string& object, const std::string& field) {
  nlohmann::json body = {{"allOrNone", all_or_none}, {"records", records}};
  return call("PATCH", "composite/sobjects/" + object + "/" + field, body.dump());
}

nlohmann::json salesforce::record(const std::string& key, const nlohmann::json& fields,
                                  const std::string& type) {
  nlohmann::json out = fields;
  out["attributes"] = {{"type", type}};
  out["Ext_Id__c"] = key;
  return out;
}

std::string salesforce::create_job(const nlohmann::json& spec) {
  nlohmann::json body = {{"object", "Contact"},
                         {"operation", "upsert"},
                         {"externalIdFieldName", "Ext_Id__c"},
                         {"contentType", "CSV"},
                         {"lineEnding", "LF"}};
  body.update(spec);
  auto r = call("POST", "jobs/ingest", body.dump());
  if (r.status != 200)
    throw std::runtime_error("job create answered " + std::to_string(r.status) + " " + r.body);
  return r.json()["id"].get<std::string>();
}

void salesforce::upload_and_close(const std::string& id, const std::string& csv) {
  auto put = call("PUT", "jobs/ingest/" + id + "/batches", csv, "text/csv");
  if (put.status != 201)
    throw std::runtime_error("upload answered " + std::to_string(put.status) + " " + put.body);
  auto close = call("PATCH", "jobs/ingest/" + id, R"({"state":"UploadComplete"})");
  if (close.status != 200)
    throw std::runtime_error("close answered " + std::to_string(close.status) + " " + close.body);
}

nlohmann::json salesforce::wait_job(const std::string& id) {
  nlohmann::json seen = nlohmann::json::array();
  for (int i = 0; i < 2000; ++i) {
    auto info = call("GET", "jobs/ingest/" + id).json();
    const auto state = info["state"].get<std::string>();
    if (seen.empty() || seen.back() != state)
      seen.push_back(state);
    if (state == "JobComplete" || state == "Failed" || state == "Aborted") {
      info["seen"] = seen;
      return info;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("job " + id + " did not finish");
}

nlohmann::json salesforce::stored(const std::string& key) {
  for (const auto& r : records())
    if (r["fields"].value("Ext_Id__c", "") == key && !r["deleted"].get<bool>())
      return r;
  return nullptr;
}

test_response meta::users(const std::string& method, const nlohmann::json& payload,
                          const nlohmann::json& session, const std::string& audience_id) {
  nlohmann::json body = {{"payload", payload}};
  if (!session.is_null())
    body["session"] = session;
  return backflow::testing::http_call(method,
                                      url("/v19.0/" + audience_id + "/users?access_token=" + token),
                                      body.dump(), {"Content-Type: application/json"});
}

nlohmann::json meta::members(const std::string& audience_id) {
  return control_get("records?audience=" + audience_id)["audiences"][audience_id]["members"];
}

std::string meta::hash(const std::string& text) { return sha256_hex(text); }

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
