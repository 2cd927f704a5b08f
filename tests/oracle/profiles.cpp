// The oracle's destination flavours (see profiles.hpp).
#include "tests/oracle/profiles.hpp"

#include <stdexcept>

namespace backflow::oracle {
namespace {

profile hubspot() {
  profile p;
  p.name = "hubspot";
  p.emulator = "hubspot";
  p.modes = {"upsert", "update", "insert", "mirror"};
  p.api_path = "/crm/v3/objects/";
  p.record_ids = true;
  p.email_keys = true;
  p.expected = expected_hubspot;
  p.held = held_hubspot;
  p.sent = sent_hubspot;
  return p;
}

profile salesforce(bool bulk) {
  profile p;
  p.name = bulk ? "salesforce_bulk" : "salesforce";
  p.emulator = "salesforce";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/services/data/";
  p.record_ids = true;
  p.expected = expected_salesforce;
  p.held = held_salesforce;
  p.sent = sent_salesforce;
  return p;
}

profile meta() {
  profile p;
  p.name = "meta";
  p.emulator = "meta";
  p.modes = {"audience"};
  p.api_path = "/users";
  p.long_keys = true;
  p.audience = true;
  p.expected = expected_meta;
  p.held = held_meta;
  p.sent = sent_meta;
  return p;
}

profile webhook() {
  profile p;
  p.name = "webhook";
  p.emulator = "webhook";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/hooks/";
  p.composite_keys = true;
  p.long_keys = true;
  p.implicit_mapping = true;
  p.expected = expected_webhook;
  p.held = held_webhook;
  p.sent = sent_webhook;
  return p;
}

}  // namespace

std::string webhook_secret() {
  return "whsec_ZW11bGF0b3Itc2VjcmV0";
}  // base64 "emulator-secret"

nlohmann::json profile::destination(const std::string& url) const {
  if (name == "hubspot")
    return {{"type", "hubspot"},
            {"endpoint", url},
            {"token", "emulator-token"},
            {"batch_size", 25},
            {"rate_limit", {{"per_10s", 0}, {"daily", 0}}}};
  if (name == "salesforce" || name == "salesforce_bulk") {
    nlohmann::json d = {{"type", "salesforce"},
                        {"instance_url", url},
                        {"token", "emulator-token"},
                        {"object", "Contact"},
                        {"external_id_field", "Backflow_Key__c"},
                        {"batch_size", 50},
                        {"bulk_threshold", 0}};
    if (name == "salesforce_bulk")
      d.update({{"bulk_threshold", 5},
                {"bulk_job_size", 100},
                {"bulk_poll_initial", "20ms"},
                {"bulk_poll_max", "100ms"}});
    return d;
  }
  if (name == "meta")
    return {{"type", "meta_audience"},
            {"endpoint", url},
            {"token", "emulator-token"},
            {"audience_id", "23850000000000001"},
            {"batch_size", 50}};
  return {{"type", "webhook"},
          {"endpoint", url + "/hooks/oracle"},
          {"secret", webhook_secret()},
          {"batch_size", 25}};
}

std::vector<mapping_entry> profile::mapping(const mapping_choice& choice) const {
  if (audience) {
    std::vector<mapping_entry> m = {{"email", "EMAIL", ""}, {"fn", "FN", ""}};
    if (choice.optional_field)
      m.push_back({"ln", "LN", ""});
    if (choice.second_field)
      m.push_back({"phone", "PHONE", ""});
    return m;
  }
  const bool sf = name != "hubspot" && name != "webhook";
  auto field = [&](const std::string& plain, const std::string& sf_name) {
    return sf ? sf_name : plain;
  };
  std::vector<mapping_entry> m = {
      {"fn", field(name == "hubspot" ? "firstname" : "name", "FirstName"), ""},
      {"score", field("score", "Score__c"), "number"},
      {"big", field("big", "Big__c"), "number"},
      {"amount", field("amount", "Amount__c"), "number"}};
  if (choice.optional_field)
    m.push_back({"tier", field("tier", "Tier__c"), ""});
  if (choice.second_field)
    m.push_back(
        {"note", choice.renamed ? field("notes", "Notes__c") : field("note", "Note__c"), ""});
  if (choice.float_as_text)
    m.push_back({"score", field("score_text", "Score_Text__c"), "string"});
  return m;
}

void profile::apply_mapping(const mapping_choice& choice, sync_setup& setup) const {
  setup.implicit_mapping = false;
  setup.mapping = mapping(choice);
  if (choice.implicit && implicit_mapping)
    setup.use_implicit_mapping();
}

std::vector<std::string> profile::emulator_args() const {
  if (emulator == "hubspot")
    return {"--per-10s", "0", "--daily", "0", "--log-bodies"};
  if (emulator == "salesforce")
    return {"--daily", "0", "--bulk-delay-ms", "20", "--log-bodies"};
  return {"--log-bodies"};
}

const std::vector<profile>& profiles() {
  static const std::vector<profile> all = {hubspot(), salesforce(false), salesforce(true), meta(),
                                           webhook()};
  return all;
}

const profile& profile_named(const std::string& name) {
  for (const auto& p : profiles())
    if (p.name == name)
      return p;
  throw std::invalid_argument("oracle: no destination '" + name +
                              "' (hubspot, salesforce, salesforce_bulk, meta, webhook)");
}

}  // namespace backflow::oracle
