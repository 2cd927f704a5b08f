// Marketo under test: what the conformance suite, the oracle and the fault matrix know of it.
// The oracle's expectation comes from docs/connectors/marketo.md (sync leads by lookupField,
// delete by lead id) and the README, never from the connector: one live lead per key (the email,
// trimmed and lowercased), each mapped field with the row's value; NULL and "" both show empty
// (a lead field holds no empty text apart from null). Numbers may come back through a double.
// Audience mode (static list membership, docs/connectors/marketo.md "Audience mode"): the list
// holds exactly the leads of the model's rows, one member per key, each lead with the row's values.
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::marketo_contract {

expected_state expected_marketo(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

held_state held_marketo(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];
    h.live = !r["deleted"].get<bool>();
    out.by_key[h.fields.value("email", "")].push_back(std::move(h));
  }
  return out;
}

/// The members of static list 1021 (the audience profile's list), by their lead's email.
held_state held_marketo_list(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& m : all["lists"]["1021"]) {
    held_record h;
    h.fields = m["fields"];
    out.by_key[h.fields.value("email", "")].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_marketo(const nlohmann::json& request) {
  std::vector<sent_value> out;
  if (request.value("path", "") != "/rest/v1/leads.json")
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("input") || !body["input"].is_array())
    return out;
  for (const auto& lead : body["input"]) {
    if (!lead.is_object())
      continue;
    const std::string key =
        lead.contains("email") && lead["email"].is_string() ? lead["email"].get<std::string>() : "";
    for (const auto& [name, value] : lead.items())
      out.push_back({key, name, value});
  }
  return out;
}

}  // namespace backflow::oracle::marketo_contract

namespace backflow::testing {
namespace marketo_parts {

using nlohmann::json;

const std::vector<std::string> unlimited = {"--per-20s", "0", "--daily", "0", "--concurrent", "0"};

/// A Marketo sync of a contacts model: leads by email, the emulator's default credentials.
json marketo_sync(const contacts_model& model, const std::string& endpoint,
                  const std::string& mode = "upsert") {
  return {{"name", "contacts_to_marketo"},
          {"source", model.source()},
          {"destination",
           {{"type", "marketo"},
            {"endpoint", endpoint},
            {"client_id", "emulator-client"},
            {"client_secret", "emulator-secret"},
            {"rate_limit", {{"per_20s", 0}, {"daily", 0}}}}},
          {"mode", mode},
          {"mapping",
           {{{"from", "email"}, {"to", "email"}},
            {{"from", "first_name"}, {"to", "firstName"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

/// The live leads by email.
std::map<std::string, json> live_leads(emulator_process& emu) {
  std::map<std::string, json> out;
  for (auto& r : emu.records())
    if (!r["deleted"].get<bool>())
      out[r["fields"].value("email", "")] = r["fields"];
  return out;
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "marketo";
  a.emulator_args = unlimited;
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = marketo_sync(model, emu.url(), "mirror");
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = live_leads;
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    std::map<std::string, int> live;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>() && ++live[r["fields"].value("email", "")] > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "/rest/v1/leads.json"}};
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "marketo";
  p.emulator = "marketo";
  p.modes = {"upsert", "update", "insert", "mirror"};
  p.api_path = "/rest/v1/";
  p.record_ids = true;
  p.email_keys = true;
  p.expected = oracle::marketo_contract::expected_marketo;
  p.held = oracle::marketo_contract::held_marketo;
  p.sent = oracle::marketo_contract::sent_marketo;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "marketo"},
                {"endpoint", url},
                {"client_id", "emulator-client"},
                {"client_secret", "emulator-secret"},
                {"batch_size", 25},
                {"rate_limit", {{"per_20s", 0}, {"daily", 0}}}};
  };
  p.emulator_options = unlimited;
  p.fields = {{"fn", "firstName"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"},    {"note", "note"},   {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

/// Audience mode: the members of static list 1021 are the model's rows' leads.
oracle::profile oracle_list_profile() {
  auto p = oracle_profile();
  p.name = "marketo_audience";
  p.modes = {"audience"};
  p.held = oracle::marketo_contract::held_marketo_list;
  auto leads = p.destination_at;
  p.destination_at = [leads](const std::string& url) {
    auto d = leads(url);
    d["list_id"] = 1021;
    return d;
  };
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

/// Marketo's request-level failure: HTTP 200, success false, a quoted code.
json marketo_error(const std::string& code, const std::string& message) {
  return {{"requestId", "e42b#14272d07d78"},
          {"success", false},
          {"errors", json::array({{{"code", code}, {"message", message}}})}};
}

/// A delete answer saying every one of a batch's leads was not found (1004): already gone.
json deletes_not_found() {
  json result = json::array();
  for (int i = 0; i < faults::batch_size; ++i)
    result.push_back({{"id", 90000 + i},
                      {"status", "skipped"},
                      {"reasons", json::array({{{"code", "1004"}, {"message", "Lead not found"}}})}});
  return {{"requestId", "e42b#14272d07d79"}, {"success", true}, {"result", result}};
}

std::vector<fault_row> fault_rows();

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "marketo";
  f.emulator_args = unlimited;
  f.api_path = "/rest/v1/";
  f.delete_mode = "mirror";
  f.token_endpoint = true;
  f.server_error_body = marketo_error("608", "API Temporarily Unavailable");
  f.rate_limit_body = nullptr;
  f.sync = [](const contacts_model& model, const std::string& base) {
    return marketo_sync(model, base);
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>()) {
        auto& h = out[r["fields"].value("email", "")];
        ++h.created;
        auto score = r["fields"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

/// A leads.json answer for a batch of 10 where lead `skipped` was skipped (1003: a field's value
/// refused) and the others updated, in input order as Marketo answers.
json one_lead_skipped(int skipped) {
  json result = json::array();
  for (int i = 0; i < 10; ++i)
    result.push_back(i == skipped
                         ? json{{"status", "skipped"},
                                {"reasons", {{{"code", "1003"},
                                              {"message", "Value for field 'email' invalid"}}}}}
                         : json{{"id", 5000 + i}, {"status", "updated"}});
  return {{"requestId", "e42b#14272d07d78"}, {"result", result}, {"success", true}};
}

/// A list answer for the 2nd batch of an audience run at concurrency 1 (leads 1011..1020, in
/// input order): lead `missing` skipped as not found (1004), the others added.
json one_member_not_found(int missing) {
  json result = json::array();
  for (int i = 0; i < 10; ++i) {
    json r = {{"id", 1011 + i}, {"status", "added"}};
    if (i == missing)
      r = {{"id", 1011 + i}, {"status", "skipped"},
           {"reasons", {{{"code", "1004"}, {"message", "Lead not found"}}}}};
    result.push_back(std::move(r));
  }
  return {{"requestId", "e42b#14272d07d7a"}, {"result", result}, {"success", true}};
}

/// Marketo's own rows: throttles and token refusals inside HTTP 200 answers, the token
/// endpoint, insert mode's lookups, deletes of leads already gone, a list member not found.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string m = "marketo";
  const json identity = {{"path_contains", "/identity/oauth/token"}};
  return {
    // 606 names its window ('1' secs here): the account pauses that long, nothing is rejected.
    fault_row{"606 rate limit mid-run", m,
              {{{"nth", 2}, {"status", 200},
                {"body", marketo_error("606", "Max rate limit '100' exceeded with in '1' secs")}}},
              finishes(10, 6)}
        .waits(1000),
    fault_row{"615 concurrency limit mid-run", m,
              {{{"nth", 2}, {"status", 200},
                {"body", marketo_error("615", "Concurrent access limit reached")}}},
              finishes(10, 6)}
        .waits(1000),
    // 601/602: a new token is fetched and the batch sent again, nothing is rejected.
    fault_row{"601 access token invalid mid-run", m,
              {{{"nth", 3}, {"status", 200},
                {"body", marketo_error("601", "Access token invalid")}}},
              finishes(10, 6)},
    // Two refusals (three could fall on one batch's resends and rightly stop the run): each
    // refused batch goes again with a new token, whichever batches they fall on.
    fault_row{"602 access token expired mid-run, 4 in flight", m,
              {{{"nth", 2}, {"count", 2}, {"status", 200},
                {"body", marketo_error("602", "Access token expired")}}},
              finishes(20, 7)}
        .with_delivery({{"concurrency", 4}}),
    fault_row{"601 three times in a row", m,
              {{{"nth", 2}, {"count", 3}, {"status", 200},
                {"body", marketo_error("601", "Access token invalid")}}},
              stops(10, 20, 4)}
        .says("refused a newly fetched access token"),
    fault_row{"607 daily quota", m,
              {{{"nth", 2}, {"status", 200}, {"body", marketo_error("607", "Daily quota reached")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("daily quota resets at"),
    fault_row{"token endpoint refuses the credentials", m,
              {{{"match", identity}, {"count", 100}, {"status", 401},
                {"body", {{"error", "unauthorized"}, {"error_description", "Bad client credentials"}}}}},
              stops(0, 0, 0)}
        .says("Bad client credentials"),
    fault_row{"token endpoint 503 once", m,
              {{{"match", identity}, {"status", 503}, {"body", "Service Unavailable"}}},
              finishes(0, 5)},
    // Insert mode never re-sends a create blindly: the batch is looked up (lead query) first.
    fault_row{"insert mode: reset mid-body after processing", m, {reset_mid_body},
              finishes(10, 6)}  // the query finds the batch: no second create
        .in_mode("insert"),
    fault_row{"insert mode: reset before processing", m, {reset_unprocessed},
              finishes(10, 7)}  // the query finds nothing: created now
        .in_mode("insert"),
    // The 2nd batch's 4th lead skipped with a reason inside HTTP 200: only it is rejected.
    {"a lead skipped with 1003 in a 200", m,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", one_lead_skipped(3)}}},
     finishes_rejecting(1, 5)},
    // A delete Marketo skips as "Lead not found" (1004) is done: the lead is gone.
    fault_row{"deletes: skipped as not found", m,
              {{{"nth", 1}, {"status", 200}, {"apply", true}, {"body", deletes_not_found()}}},
              deletes_finish(0, 3)}
        .deleting(deletes),
    // Audience mode: a lead the list add does not find (1004: deleted between the sync and the
    // add) is rejected, not retried; the batch's other leads join. Each batch is two calls.
    fault_row{"audience: a list member not found (1004) on add", m,
              {{{"match", {{"method", "POST"}, {"path_contains", "/rest/v1/lists/"}}},
                {"nth", 2}, {"status", 200}, {"apply", true}, {"body", one_member_not_found(3)}}},
              finishes_rejecting(1, 10)}
        .in_mode("audience")
        .with_destination({{"list_id", 1021}})
        .with_delivery({{"concurrency", 1}}),
  };
}

}  // namespace marketo_parts

test_destination marketo_tests() {
  return {"marketo", marketo_parts::conformance(),
          {marketo_parts::oracle_profile(), marketo_parts::oracle_list_profile()},
          marketo_parts::fault_view()};
}

}  // namespace backflow::testing
