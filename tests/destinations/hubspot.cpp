// HubSpot under test: what the conformance suite, the oracle and the fault matrix know of it.
// The oracle's expectation comes from docs/connectors/hubspot.md (CRM v3 batch
// upsert/update/create/archive) and the README, never from the connector: one live contact per key
// (the email, trimmed and lowercased), each mapped property as HubSpot stores it: a string.
// Sending "" clears a property, so NULL and "" both show empty.
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::hubspot_contract {

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

/// Companies upserted by a custom unique property: one live company per key, as the contacts.
held_state held_hubspot_companies(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records?object=companies");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["properties"];
    h.live = !r["archived"].get<bool>();
    out.by_key[h.fields.value("company_key", "")].push_back(std::move(h));
  }
  return out;
}

}  // namespace backflow::oracle::hubspot_contract

namespace backflow::testing {
namespace hubspot_parts {

using nlohmann::json;

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "hubspot";
  a.emulator_args = {"--per-10s", "0", "--daily", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = hubspot_sync(model, emu.url(), "mirror");
    sync["delivery"] = conformance_retries;
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
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r["creations"].get<int>() > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "batch/upsert"}};
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "hubspot";
  p.emulator = "hubspot";
  p.modes = {"upsert", "update", "insert", "mirror"};
  p.api_path = "/crm/v3/objects/";
  p.record_ids = true;
  p.email_keys = true;
  p.expected = oracle::hubspot_contract::expected_hubspot;
  p.held = oracle::hubspot_contract::held_hubspot;
  p.sent = oracle::hubspot_contract::sent_hubspot;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "hubspot"},
                {"endpoint", url},
                {"token", "emulator-token"},
                {"batch_size", 25},
                {"rate_limit", {{"per_10s", 0}, {"daily", 0}}}};
  };
  p.emulator_options = {"--per-10s", "0", "--daily", "0"};
  p.fields = {{"fn", "firstname"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"},    {"note", "note"},   {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

/// Companies by the unique property company_key (HubSpot's batch upsert takes any property with
/// unique values). No insert mode: the emulator models create conflicts for contact emails only.
oracle::profile companies_profile() {
  auto p = oracle_profile();
  p.name = "hubspot_companies";
  p.modes = {"upsert", "update", "mirror"};
  p.email_keys = false;
  p.held = oracle::hubspot_contract::held_hubspot_companies;
  auto contacts_at = p.destination_at;
  p.destination_at = [contacts_at](const std::string& url) {
    auto d = contacts_at(url);
    d["object"] = "companies";
    d["id_property"] = "company_key";
    return d;
  };
  p.fields["fn"] = "name";
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json hubspot_error(const std::string& category, const std::string& message) {
  return {{"status", "error"}, {"category", category}, {"message", message},
          {"correlationId", "fault-matrix"}};
}

json hubspot_rate_limit(const std::string& policy) {
  return {{"status", "error"}, {"errorType", "RATE_LIMIT"}, {"policyName", policy},
          {"message", "You have reached your " + policy + " limit."}};
}

/// A 207 naming only the even rows of the model: the odd ones of the batch got no result.
json hubspot_results_for_even_rows() {
  json results = json::array();
  for (int i = faults::first_row; i < faults::first_row + faults::rows; i += 2)
    results.push_back({{"id", std::to_string(9000 + i)},
                       {"properties", {{"email", email_of(i)}}},
                       {"archived", false}, {"new", true}});
  return {{"status", "COMPLETE"}, {"results", results}, {"numErrors", 0},
          {"startedAt", "2024-01-01T00:00:00Z"}, {"completedAt", "2024-01-01T00:00:01Z"}};
}

std::vector<fault_row> fault_rows();

/// A destination patch linking each contact to itself (a typed contact-to-contact link).
const json self_links = {{"associations", {{{"field", "email"},
                                             {"to_object", "contacts"},
                                             {"to_id_property", "email"},
                                             {"type_id", 1},
                                             {"category", "USER_DEFINED"}}}}};

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "hubspot";
  f.emulator_args = {"--per-10s", "0", "--daily", "0"};
  f.api_path = "/crm/v3/objects/";
  f.delete_mode = "mirror";
  f.server_error_body = hubspot_error("INTERNAL_ERROR", "Service unavailable");
  f.rate_limit_body = hubspot_rate_limit("TEN_SECONDLY_ROLLING");
  f.wait_after_429_ms = 1000;  // HubSpot's guidance for the rolling limit: one second
  f.sync = [](const contacts_model& model, const std::string& base) {
    return hubspot_sync(model, base);
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("archived", false)) {
        auto& h = out[r["properties"].value("email", "")];
        h.created += r["creations"].get<int>();
        auto score = r["properties"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

/// HubSpot's own rows: its rate-limit policies and usage headers, its error categories, insert
/// mode's lookups, its 207 answers, concurrency.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string h = "hubspot";
  return {
    fault_row{"429 daily limit", h,
              {{{"nth", 2}, {"status", 429}, {"body", hubspot_rate_limit("DAILY")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("daily limit resets at"),
    fault_row{"usage header: daily remaining 0", h,
              {{{"nth", 2},
                {"headers", {{"X-HubSpot-RateLimit-Daily", "250000"},
                             {"X-HubSpot-RateLimit-Daily-Remaining", "0"}}}}},
              stops(20, 0, 2)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: 2 per second", h,
              {{{"nth", 1},
                {"headers", {{"X-HubSpot-RateLimit-Max", "2"},
                             {"X-HubSpot-RateLimit-Remaining", "1"},
                             {"X-HubSpot-RateLimit-Interval-Milliseconds", "1000"}}}}},
              finishes(0, 5)}
        .waits(1400),  // 4 more requests at 2/s
    {"malformed JSON 200", h,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "<html>OK</html>"},
       {"headers", {{"Content-Type", "text/html"}}}}},
     finishes(10, 6)},
    {"truncated JSON 200", h,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", R"({"status":"COMPLETE","results":[{"id":"101","properties":{"email":"user2)"}}},
     finishes(10, 6)},
    fault_row{"401 mid-run", h,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION",
                                       "The OAuth token used to make this call expired")}}},
              stops(20, 0, 3)}
        .says("EXPIRED_AUTHENTICATION"),
    fault_row{"403 mid-run", h,
              {{{"nth", 3}, {"count", 100}, {"status", 403},
                {"body", hubspot_error("MISSING_SCOPES", "This app hasn't been granted all "
                                                         "required scopes")}}},
              stops(20, 0, 3)}
        .says("MISSING_SCOPES"),
    fault_row{"503 outlasting the retries", h,
              {{{"nth", 2}, {"count", 100}, {"status", 503}}}, {4, 10, 80, 40, 13}}
        .with_delivery({{"max_attempts", 3}}),
    fault_row{"429 Retry-After longer than max_pause", h,
              {{{"nth", 2}, {"status", 429}, {"headers", {{"Retry-After", "3600"}}},
                {"body", hubspot_rate_limit("TEN_SECONDLY_ROLLING")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("paused"),
    fault_row{"401 on the last request", h,
              {{{"nth", 5}, {"status", 401},
                {"body", hubspot_error("INVALID_AUTHENTICATION", "Authentication credentials not "
                                                                 "found.")}}},
              stops(40, 0, 5)}
        .says("INVALID_AUTHENTICATION"),
    fault_row{"read timeout on the last request", h, {{{"nth", 5}, {"delay_ms", 1500}}},
              finishes(10, 6)}
        .with_delivery(short_timeout),
    // Insert mode never re-sends a create blindly: the batch is looked up (batch/read) first.
    fault_row{"insert mode: reset mid-body after processing", h, {reset_mid_body},
              finishes(10, 6)}  // the lookup finds the batch: no second create
        .in_mode("insert"),
    fault_row{"insert mode: reset before processing", h, {reset_unprocessed},
              finishes(10, 7)}  // the lookup finds nothing: created now
        .in_mode("insert"),
    fault_row{"insert mode: read timeout (the create lands late)", h, {late_answer},
              finishes(10, 7)}  // looked up before it lands, so created again: HubSpot's
        .in_mode("insert")       // unique email turns the late one into a conflict
        .with_delivery(short_timeout),
    // Four requests in flight: the 2nd, 3rd and 4th are all faulted at once.
    fault_row{"reset mid-body x3, 4 in flight", h,
              {{{"nth", 2}, {"count", 3}, {"drop", true}, {"apply", true}}}, finishes(30, 8)}
        .with_delivery({{"concurrency", 4}}),
    fault_row{"401 mid-run, 4 in flight", h,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION",
                                       "The OAuth token used to make this call expired")}}},
              stops(20, 0, -1)}  // the 5th request may go out before the 3rd's 401 is read
        .with_delivery({{"concurrency", 4}})
        .says("EXPIRED_AUTHENTICATION"),
    {"207 partial results", h,
     {{{"nth", 2}, {"status", 207}, {"apply", true}, {"body", hubspot_results_for_even_rows()}}},
     finishes(5, 6)},
    // Associations (a job per batch: upsert, batch read of the other records, v4 link): each
    // contact linked to itself by its email through a typed link, so the rows need no other
    // records. 5 batches x 3 requests.
    fault_row{"associations: link answer lost after it landed", h,
              {{{"match", {{"method", "POST"}, {"path_contains", "/crm/v4/associations/"}}},
                {"nth", 2}, {"drop", true}, {"apply", true}}},
              finishes(10, 16)}  // the link request again; linking twice leaves one link
        .with_destination(self_links),
    fault_row{"associations: 503 on the batch read", h,
              {{{"match", {{"method", "POST"}, {"path_contains", "batch/read"}}},
                {"nth", 3}, {"status", 503}, {"body", hubspot_error("INTERNAL_ERROR", "oops")}}},
              finishes(10, 16)}
        .with_destination(self_links),
    // Deletes (mirror mode) under the same faults.
    fault_row{"deletes: 503 burst", h, {{{"nth", 2}, {"count", 2}, {"status", 503}}},
              deletes_finish(20, 5)}
        .deleting(deletes),
    fault_row{"deletes: 401 mid-run", h,
              {{{"nth", 2}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION", "The token expired")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).says("EXPIRED_AUTHENTICATION"),
    fault_row{"deletes: connection refused", h, {}, {4, 0, 30, 30, 6}}
        .deleting(deletes).against_dead_port().with_delivery({{"max_attempts", 2}}),
  };
}

}  // namespace hubspot_parts

test_destination hubspot_tests() {
  return {"hubspot", hubspot_parts::conformance(),
          {hubspot_parts::oracle_profile(), hubspot_parts::companies_profile()},
          hubspot_parts::fault_view()};
}

}  // namespace backflow::testing
