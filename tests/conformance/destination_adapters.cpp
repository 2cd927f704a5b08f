// The destinations under the conformance suite, one adapter each.
#include "tests/conformance/destination_adapter.hpp"

#include <algorithm>

#include "pipelines/core/crypto.hpp"

namespace backflow::testing {
namespace {

using nlohmann::json;

const json fast_retries = {{"retry_initial", "20ms"}, {"retry_max", "1s"}};

std::optional<double> number(const json& v) {
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

destination_adapter hubspot() {
  destination_adapter a;
  a.type = "hubspot";
  a.emulator_args = {"--per-10s", "0", "--daily", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = hubspot_sync(model, emu.url(), "mirror");
    sync["delivery"] = fast_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["archived"].get<bool>())
        out[r["properties"].value("email", "")] = r["properties"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r["creations"].get<int>() > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "batch/upsert"}};
  return a;
}

destination_adapter webhook() {
  destination_adapter a;
  a.type = "webhook";
  a.emulator_args = {"--secret", "whsec_" + base64_encode("conformance")};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = webhook_sync(model, emu.url("/hooks/conformance"),
                             "whsec_" + base64_encode("conformance"), "mirror");
    sync["delivery"] = fast_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>())
        out[r["key"].get<std::string>()] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number(fields.value("score", json())); };
  a.created_twice = [](emulator_process&) { return std::string(); };  // no creation: upserts
  a.write_match = {{"method", "POST"}, {"path_contains", "/hooks/"}};
  a.refuse_bad_rows = [](emulator_process& emu) {
    emu.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  };
  return a;
}

destination_adapter salesforce() {
  destination_adapter a;
  a.type = "salesforce";
  a.emulator_args = {"--daily", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    return json{{"name", "contacts_to_salesforce"},
                {"source", model.source()},
                {"destination",
                 {{"type", "salesforce"},
                  {"instance_url", emu.url()},
                  {"token", "emulator-token"},
                  {"object", "Contact"},
                  {"external_id_field", "Backflow_Key__c"}}},
                {"mode", "mirror"},
                {"mapping",
                 {{{"from", "email"}, {"to", "Email"}},
                  {{"from", "first_name"}, {"to", "FirstName"}},
                  {{"from", "score"}, {"to", "Score__c"}, {"type", "number"}},
                  {{"from", "tier"}, {"to", "Tier__c"}}}},
                {"delivery", fast_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false))
        out[r["fields"].value("Backflow_Key__c", "")] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number(fields.value("Score__c", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r.value("creations", 1) > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "PATCH"}, {"path_contains", "composite/sobjects"}};
  return a;
}

destination_adapter meta() {
  destination_adapter a;
  a.type = "meta_audience";
  a.mode = "audience";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    // Members are matched on email; the planted bad row has no email to match on.
    auto source = model.source_selecting(
        "email, CASE WHEN tier = 'invalid-tier' THEN NULL ELSE email END AS member_email, "
        "CASE WHEN tier = 'invalid-tier' THEN NULL ELSE first_name END AS member_fn");
    return json{{"name", "contacts_to_meta"},
                {"source", source},
                {"destination",
                 {{"type", "meta_audience"},
                  {"endpoint", emu.url()},
                  {"token", "emulator-token"},
                  {"audience_id", "23850000000000001"}}},
                {"mode", "audience"},
                {"mapping",
                 {{{"from", "member_email"}, {"to", "EMAIL"}},
                  {{"from", "member_fn"}, {"to", "FN"}}}},
                {"delivery", fast_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    auto audiences = emu.control_get("records")["audiences"];
    for (auto& m : audiences["23850000000000001"]["members"])
      if (m.value("member", false))
        out[m["identity"].value("EMAIL", "")] = m["identity"];
    return out;
  };
  a.key_of = [](const std::string& email) { return sha256_hex(email); };
  a.score_of = [](const json&) { return std::nullopt; };  // members carry identifiers only
  a.created_twice = [](emulator_process&) { return std::string(); };  // a set: adds are harmless
  a.write_match = {{"method", "POST"}, {"path_contains", "/users"}};
  a.change = [](contacts_model& model, const std::vector<int>& rows) {
    std::string emails;
    for (int i : rows)
      emails += (emails.empty() ? "'" : ",'") + email_of(i) + "'";
    model.exec("UPDATE " + model.table() + " SET first_name = first_name || ' Jr' WHERE email IN (" +
               emails + ")");
  };
  a.records_per_change = 2;  // a new FN is a new identity: the old one is removed first
  return a;
}

}  // namespace

const std::vector<destination_adapter>& destination_adapters() {
  static const std::vector<destination_adapter> adapters = {hubspot(), webhook(), salesforce(),
                                                            meta()};
  return adapters;
}

std::vector<std::string> adapter_gaps(const std::vector<std::string>& registered,
                                      const std::vector<std::string>& adapted) {
  auto has = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  std::vector<std::string> gaps;
  for (const auto& type : registered)
    if (!has(adapted, type))
      gaps.push_back("destination '" + type +
                     "' is registered but has no conformance adapter: add one to "
                     "tests/conformance/destination_adapters.cpp");
  for (const auto& type : adapted)
    if (!has(registered, type))
      gaps.push_back("conformance adapter '" + type + "' names no registered destination");
  return gaps;
}

void plant_bad_row(contacts_model& model) {
  model.exec("INSERT INTO " + model.table() + " VALUES ('" + bad_row_key +
             "', 'Broken', 1, 'invalid-tier')");
}

int64_t records_received(emulator_process& emulator) {
  return emulator.requests()["inputs"].get<int64_t>();
}

}  // namespace backflow::testing
