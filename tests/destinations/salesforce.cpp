// Salesforce under test (sObject Collections and Bulk 2.0): what the conformance suite, the
// oracle and the fault matrix know of it. The oracle's expectation comes from
// docs/connectors/salesforce.md (Collections upsert by external id, Bulk API 2.0 CSV jobs,
// collections delete) and the README: one live record per key in the external id field
// Backflow_Key__c, each mapped field with the row's value. Salesforce keeps no empty strings
// (Bulk 2.0 sets null with #N/A), so NULL and "" both show empty; numbers may come back as JSON
// numbers (collections) or text (Bulk CSV).
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::salesforce_contract {
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

}  // namespace backflow::oracle::salesforce_contract

namespace backflow::testing {
namespace salesforce_parts {

using nlohmann::json;

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
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
                {"delivery", conformance_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false))
        out[r["fields"].value("Backflow_Key__c", "")] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("Score__c", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r.value("creations", 1) > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "PATCH"}, {"path_contains", "composite/sobjects"}};
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

/// Salesforce through collections, or (`bulk`) through Bulk 2.0 jobs: two flavours.
oracle::profile oracle_profile(bool bulk) {
  oracle::profile p;
  p.name = bulk ? "salesforce_bulk" : "salesforce";
  p.emulator = "salesforce";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/services/data/";
  p.record_ids = true;
  p.expected = oracle::salesforce_contract::expected_salesforce;
  p.held = oracle::salesforce_contract::held_salesforce;
  p.sent = oracle::salesforce_contract::sent_salesforce;
  p.destination_at = [bulk](const std::string& url) {
    json d = {{"type", "salesforce"},
              {"instance_url", url},
              {"token", "emulator-token"},
              {"object", "Contact"},
              {"external_id_field", "Backflow_Key__c"},
              {"batch_size", 50},
              {"bulk_threshold", 0}};
    if (bulk)
      d.update({{"bulk_threshold", 5},
                {"bulk_job_size", 100},
                {"bulk_poll_initial", "20ms"},
                {"bulk_poll_max", "100ms"}});
    return d;
  };
  p.emulator_options = {"--daily", "0", "--bulk-delay-ms", "20"};
  p.fields = {{"fn", "FirstName"},  {"score", "Score__c"}, {"big", "Big__c"},
              {"amount", "Amount__c"}, {"tier", "Tier__c"}, {"note", "Note__c"},
              {"notes", "Notes__c"},   {"score_text", "Score_Text__c"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

/// A collections result in request order whose odd positions could not lock their row.
json salesforce_lock_failures() {
  json results = json::array();
  for (int i = 0; i < faults::batch_size; ++i)
    if (i % 2 == 0)
      results.push_back({{"id", "003FAULT" + std::to_string(i)}, {"success", true},
                         {"errors", json::array()}, {"created", true}});
    else
      results.push_back({{"id", nullptr}, {"success", false},
                         {"errors", {{{"statusCode", "UNABLE_TO_LOCK_ROW"},
                                      {"message", "unable to obtain exclusive access to this record"},
                                      {"fields", json::array()}}}}});
  return results;
}

json salesforce_error(const std::string& code, const std::string& message) {
  return json::array({{{"errorCode", code}, {"message", message}}});
}

/// Salesforce's own rows: Sforce-Limit-Info on every answer (the emulator's daily limit is
/// 100,000), its error codes, per-record failures in a 200.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string s = "salesforce";
  return {
    // Another client spends the org's calls: from the 2nd answer on, 1 call is left.
    fault_row{"usage header: 1 call left", s,
              {{{"nth", 2}, {"count", 100},
                {"headers", {{"Sforce-Limit-Info", "api-usage=99999/100000"}}}}},
              stops(30, 0, 3)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: limit reached from the first answer", s,
              {{{"count", 100}, {"headers", {{"Sforce-Limit-Info", "api-usage=100000/100000"}}}}},
              stops(10, 0, 1)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: budget spent from the first answer", s,
              {{{"count", 100}, {"headers", {{"Sforce-Limit-Info", "api-usage=60000/100000"}}}}},
              stops(10, 0, 1)}
        .with_destination({{"rate_limit", {{"budget", 0.5}}}})
        .resumed_next_day().says("budget"),
    fault_row{"403 REQUEST_LIMIT_EXCEEDED", s,
              {{{"nth", 2}, {"status", 403},
                {"body", salesforce_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("REQUEST_LIMIT_EXCEEDED"),
    {"503 SERVER_UNAVAILABLE burst", s,
     {{{"nth", 2}, {"count", 2}, {"status", 503},
       {"body", salesforce_error("SERVER_UNAVAILABLE", "Server temporarily unavailable")}}},
     finishes(20, 7)},
    {"per-record UNABLE_TO_LOCK_ROW", s,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", salesforce_lock_failures()}}},
     finishes(5, 6)},
    {"truncated JSON 200", s,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", R"([{"id":"003000000000001","succ)"}}},
     finishes(10, 6)},
    fault_row{"401 INVALID_SESSION_ID mid-run", s,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", salesforce_error("INVALID_SESSION_ID", "Session expired or invalid")}}},
              stops(20, 0, 3)}
        .says("INVALID_SESSION_ID"),
    fault_row{"deletes: read timeout", s, {late_answer}, deletes_finish(10, 4)}
        .deleting(deletes).with_delivery(short_timeout),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "salesforce";
  f.emulator_args = {"--daily", "100000"};  // so every answer carries Sforce-Limit-Info
  f.api_path = "composite/sobjects";
  f.delete_mode = "mirror";
  f.server_error_body = salesforce_error("SERVER_UNAVAILABLE", "Server temporarily unavailable");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return json{{"name", "contacts_to_salesforce"},
                {"source", model.source()},
                {"destination",
                 {{"type", "salesforce"}, {"instance_url", base}, {"token", "emulator-token"},
                  {"object", "Contact"}, {"external_id_field", "Backflow_Key__c"},
                  {"bulk_threshold", 0}}},
                {"mode", "upsert"},
                {"mapping",
                 {{{"from", "email"}, {"to", "Email"}},
                  {{"from", "score"}, {"to", "Score__c"}, {"type", "number"}}}}};
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false)) {
        auto& h = out[r["fields"].value("Backflow_Key__c", "")];
        h.created += r["creations"].get<int>();
        auto score = r["fields"].value("Score__c", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace salesforce_parts

test_destination salesforce_tests() {
  return {"salesforce", salesforce_parts::conformance(),
          {salesforce_parts::oracle_profile(false), salesforce_parts::oracle_profile(true)},
          salesforce_parts::fault_view()};
}

}  // namespace backflow::testing
