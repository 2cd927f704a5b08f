// What HubSpot must hold, from docs/connectors/hubspot.md (CRM v3 batch
// upsert/update/create/archive) and the README: one live contact per key (the email, trimmed and
// lowercased), each mapped property as HubSpot stores it: a string. Sending "" clears a property,
// so NULL and "" both show empty.
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle {

expected_state expected_hubspot(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

held_state held_hubspot(testing::emulator_process& emulator) {
  held_state out;
  // Keep the answer: iterating a member of a temporary would read freed memory.
  const auto all = emulator.control_get("records?object=contacts");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["properties"];
    h.live = !r["archived"].get<bool>();
    out.by_key[h.fields.value("email", "")].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_hubspot(const nlohmann::json& request) {
  std::vector<sent_value> out;
  const auto path = request.value("path", "");
  if (path.find("/batch/upsert") == std::string::npos &&
      path.find("/batch/update") == std::string::npos &&
      path.find("/batch/create") == std::string::npos)
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array())
    return out;
  for (const auto& input : body["inputs"]) {
    if (!input.is_object() || !input.contains("properties") || !input["properties"].is_object())
      continue;
    const auto& properties = input["properties"];
    std::string key = input.contains("id") && input["id"].is_string()
                          ? input["id"].get<std::string>()
                          : properties.value("email", nlohmann::json("")).dump();
    for (const auto& [name, value] : properties.items())
      out.push_back({key, name, value});
  }
  return out;
}

}  // namespace backflow::oracle
