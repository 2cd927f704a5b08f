// What Salesforce must hold, from docs/connectors/salesforce.md (sObject Collections upsert by
// external id, Bulk API 2.0 CSV jobs, collections delete) and the README: one live record per key
// in the external id field Backflow_Key__c, each mapped field with the row's value. Salesforce
// keeps no empty strings (Bulk 2.0 sets null with #N/A), so NULL and "" both show empty; numbers
// may come back as JSON numbers (collections) or text (Bulk CSV).
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle {
namespace {

constexpr const char* external_id = "Backflow_Key__c";

/// RFC 4180: rows of fields, quoted fields may hold commas, quotes ("") and line breaks.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !rows.back().empty())
    rows.back().push_back(std::move(field));
  if (rows.back().empty())
    rows.pop_back();
  return rows;
}

std::vector<sent_value> sent_csv(const std::string& body) {
  std::vector<sent_value> out;
  auto rows = read_csv(body);
  if (rows.empty())
    return out;
  const auto& header = rows[0];
  std::size_t key_column = header.size();
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == external_id)
      key_column = c;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& values = rows[r];
    const auto key = key_column < values.size() ? values[key_column] : "";
    for (std::size_t c = 0; c < values.size() && c < header.size(); ++c)
      if (values[c] != "#N/A")
        out.push_back({key, header[c], nlohmann::json(values[c])});
  }
  return out;
}

}  // namespace

expected_state expected_salesforce(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

held_state held_salesforce(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];
    h.live = !r.value("deleted", false);
    auto key = h.fields.contains(external_id) ? h.fields[external_id] : nlohmann::json();
    out.by_key[key.is_string() ? key.get<std::string>() : key.dump()].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_salesforce(const nlohmann::json& request) {
  const auto path = request.value("path", "");
  const auto method = request.value("method", "");
  if (method == "PUT" && path.find("/batches") != std::string::npos)
    return sent_csv(request.value("body", ""));
  std::vector<sent_value> out;
  if (method != "PATCH" || path.find("composite/sobjects") == std::string::npos)
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array())
    return out;
  for (const auto& r : body["records"]) {
    if (!r.is_object())
      continue;
    const auto key = r.contains(external_id) ? r[external_id].dump() : "";
    for (const auto& [name, value] : r.items())
      if (name != "attributes")
        out.push_back({key, name, value});
  }
  return out;
}

}  // namespace backflow::oracle
