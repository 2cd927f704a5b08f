// Braze under test: what the conformance suite, the oracle and the fault matrix know of it. The
// oracle's expectation comes from docs/connectors/braze.md (/users/track, /users/delete) and the
// README, never from the connector: one user per key (its external_id: trimmed, lowercased when
// it looks like an email; composite keys as their parts with `\` → `\\` and `|` → `\|`, joined
// with `|`), each mapped attribute as sent: text as text ("" stays ""), numbers as numbers, and
// NULL as no attribute at all (Braze removes an attribute set to null). Attributes merge: one
// no longer mapped stays on the profile, so other attributes are not checked.
#include <ctime>

#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::braze_contract {
namespace {

want braze_attribute(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null)
    return want::null();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

}  // namespace

expected_state expected_braze(const model_view& model) {
  return records_by_key(model, braze_attribute);
}

held_state held_braze(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["attributes"];
    h.live = !r["deleted"].get<bool>();
    out.by_key[r["external_id"].get<std::string>()].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_braze(const nlohmann::json& request) {
  std::vector<sent_value> out;
  if (request.value("path", "").find("/users/track") == std::string::npos)
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("attributes") || !body["attributes"].is_array())
    return out;
  for (const auto& object : body["attributes"]) {
    if (!object.is_object() || !object.contains("external_id") ||
        !object["external_id"].is_string())
      continue;
    const auto key = object["external_id"].get<std::string>();
    for (const auto& [name, value] : object.items())
      if (name != "external_id")
        out.push_back({key, name, value});
  }
  return out;
}

}  // namespace backflow::oracle::braze_contract

namespace backflow::testing {
namespace braze_parts {

using nlohmann::json;

/// A Braze sync of a contacts model: attributes by external_id (the email), score as a number.
json braze_sync(const contacts_model& model, const std::string& endpoint,
                const std::string& mode = "upsert") {
  return {{"name", "contacts_to_braze"},
          {"source", model.source()},
          {"destination",
           {{"type", "braze"},
            {"endpoint", endpoint},
            {"api_key", "emulator-key"},
            {"rate_limit", {{"per_3s", 0}}}}},
          {"mode", mode},
          {"mapping",
           {{{"from", "first_name"}, {"to", "first_name"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "braze";
  a.emulator_args = {"--per-3s", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = braze_sync(model, emu.url(), "mirror");
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>())
        out[r["external_id"].get<std::string>()] = r["attributes"];
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
  a.write_match = {{"method", "POST"}, {"path_contains", "/users/track"}};
  // Braze answers such an object with a minor error in a 201, the others applied.
  a.refuse_bad_rows = [](emulator_process& emu) {
    emu.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  };
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "braze";
  p.emulator = "braze";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/users/";
  p.composite_keys = true;
  p.long_keys = true;
  p.implicit_mapping = true;
  p.expected = oracle::braze_contract::expected_braze;
  p.held = oracle::braze_contract::held_braze;
  p.sent = oracle::braze_contract::sent_braze;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "braze"},
                {"endpoint", url},
                {"api_key", "emulator-key"},
                {"batch_size", 25},
                {"rate_limit", {{"per_3s", 0}}}};
  };
  p.emulator_options = {"--per-3s", "0"};
  p.fields = {{"fn", "first_name"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"},     {"note", "note"},   {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json braze_error(const std::string& message) {
  return {{"message", message}};
}

/// Braze's rate headers: the window's limit, what is left, and the epoch second it resets at.
json rate_headers(int remaining, std::time_t reset) {
  return {{"X-RateLimit-Limit", "3000"},
          {"X-RateLimit-Remaining", std::to_string(remaining)},
          {"X-RateLimit-Reset", std::to_string(reset)}};
}

/// Braze's own rows: its rate headers (no Retry-After: the reset epoch second), a 2xx whose
/// minor errors name no attributes item, maintenance's 202 "queued", its fatal messages.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string b = "braze";
  const auto now = std::time(nullptr);
  return {
    // A reset already past when the row runs: the wait is Braze's one-second granularity.
    fault_row{"429 with X-RateLimit-Reset", b,
              {{{"nth", 2}, {"status", 429}, {"headers", rate_headers(0, now)},
                {"body", braze_error("API rate limit exceeded")}}},
              finishes(10, 6)}
        .waits(1000),
    fault_row{"429 with X-RateLimit-Reset an hour away", b,
              {{{"nth", 2}, {"status", 429}, {"headers", rate_headers(0, now + 3600)},
                {"body", braze_error("API rate limit exceeded")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("paused"),
    // The window is spent, but the limiter keeps to it: no stall to the reset's second.
    {"usage header: remaining 0 on a success", b,
     {{{"nth", 1}, {"headers", rate_headers(0, now + 3600)}}}, finishes(0, 5)},
    // The 2nd batch's 4th object (user23) named in a minor error: only it is rejected.
    {"201 with one bad item", b,
     {{{"nth", 2}, {"status", 201}, {"apply", true},
       {"body", json::parse(R"({"message":"success","attributes_processed":9,"errors":[)"
                            R"({"type":"Invalid value for attribute 'tier'",)"
                            R"("input_array":"attributes","index":3}]})")}}},
     finishes_rejecting(1, 5)},
    {"201 whose minor error names an events item", b,
     {{{"nth", 2}, {"status", 201}, {"apply", true},
       {"body", {{"message", "success"}, {"attributes_processed", 10},
                 {"errors", {{{"type", "Invalid event"}, {"input_array", "events"},
                              {"index", 0}}}}}}}},
     finishes(0, 5)},
    {"201 whose minor error names no item of the batch", b,
     {{{"nth", 2}, {"status", 201}, {"apply", true},
       {"body", {{"message", "success"},
                 {"errors", {{{"type", "Invalid"}, {"input_array", "attributes"},
                              {"index", 10}}, {{"type", "Invalid"}, {"index", -1}}}}}}}},
     finishes(0, 5)},
    {"202 queued (maintenance)", b,
     {{{"nth", 2}, {"status", 202}, {"apply", true}, {"body", {{"message", "queued"}}}}},
     finishes(0, 5)},
    {"malformed JSON 201", b,
     {{{"nth", 2}, {"status", 201}, {"apply", true}, {"body", "{\"message\":\"succ"}}},
     finishes(10, 6)},
    fault_row{"401 invalid API key mid-run", b,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", braze_error("Invalid API key")}}},
              stops(20, 0, 3)}
        .says("Invalid API key"),
    fault_row{"deletes: 429 with X-RateLimit-Reset", b,
              {{{"nth", 2}, {"status", 429}, {"headers", rate_headers(0, now)},
                {"body", braze_error("API rate limit exceeded")}}},
              deletes_finish(10, 4)}
        .deleting(deletes).waits(1000),
    fault_row{"deletes: 401 mid-run", b,
              {{{"nth", 2}, {"count", 100}, {"status", 401},
                {"body", braze_error("Invalid API key")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).says("Invalid API key"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "braze";
  f.emulator_args = {"--per-3s", "0"};
  f.api_path = "/users/";
  f.delete_mode = "mirror";
  f.server_error_body = braze_error("Internal Server Error");
  f.rate_limit_body = braze_error("API rate limit exceeded");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return braze_sync(model, base);
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false)) {
        auto& h = out[r["external_id"].get<std::string>()];
        h.created += r["creations"].get<int>();
        auto score = r["attributes"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace braze_parts

test_destination braze_tests() {
  return {"braze", braze_parts::conformance(), {braze_parts::oracle_profile()},
          braze_parts::fault_view()};
}

}  // namespace backflow::testing
