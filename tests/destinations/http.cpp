// The templated http destination under test: what the conformance suite, the oracle and the
// fault matrix know of it. Its syncs describe a JSON API the way a user would (docs/connectors/
// http.md): batches of `{"key": "{{key}}", "fields": "{{fields}}", ...}` under "/records" of an
// envelope, deletes as an array of keys, per-record results read at "/results". The oracle's
// expectation is written from that template: one record per key, its "fields" exactly the mapped
// values as JSON (NULL is null, "" is "", numbers are numbers, decimals digit for digit).
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::http_contract {
namespace {

want http_field(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null)
    return want::null();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

}  // namespace

expected_state expected_http(const model_view& model) {
  return records_by_key(model, http_field, /*closed=*/true);
}

held_state held_http(testing::emulator_process& emulator) {
  held_state out;
  for (const auto& r : emulator.records()) {
    held_record h;
    h.fields = r["fields"].value("fields", nlohmann::json::object());
    h.live = !r["deleted"].get<bool>();
    out.by_key[r["key"].get<std::string>()].push_back(std::move(h));
  }
  out.note = "http API: records by /key of each batch item";
  return out;
}

std::vector<sent_value> sent_http(const nlohmann::json& request) {
  std::vector<sent_value> out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array())
    return out;
  for (const auto& r : body["records"]) {
    if (!r.is_object() || !r.contains("fields") || !r["fields"].is_object())
      continue;
    const auto key = r.contains("key") && r["key"].is_string() ? r["key"].get<std::string>() : "";
    for (const auto& [name, value] : r["fields"].items())
      out.push_back({key, name, value});
  }
  return out;
}

/// One record per request: the body is the record itself.
std::vector<sent_value> sent_http_single(const nlohmann::json& request) {
  std::vector<sent_value> out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("fields") || !body["fields"].is_object())
    return out;
  const auto key = body.contains("key") && body["key"].is_string() ? body["key"].get<std::string>() : "";
  for (const auto& [name, value] : body["fields"].items())
    out.push_back({key, name, value});
  return out;
}

}  // namespace backflow::oracle::http_contract

namespace backflow::testing {
namespace http_parts {

using nlohmann::json;

const std::string token = "http-conformance-token";

/// The destination object a user would write for an API at `base`: batches of records keyed by
/// "/key", deletes as keys to ".../delete", results at "/results" (a 503 item is retried).
json http_destination_at(const std::string& base) {
  return {{"type", "http"},
          {"base_url", base},
          {"operations",
           {{"upsert",
             {{"method", "POST"},
              {"url", "/v1/contacts/batch"},
              {"body", {{"key", "{{key}}"}, {"fields", "{{fields}}"}, {"run", "{{run_id}}"}}}}},
            {"delete", {{"method", "POST"}, {"url", "/v1/contacts/delete"}}}}},
          {"batch", {{"path", "/records"}, {"envelope", {{"sync", "{{sync_name}}"}}}}},
          {"batch_size", 50},
          {"headers", {{"Idempotency-Key", "{{batch_id}}"}}},
          {"auth", {{"type", "bearer"}, {"token", token}}},
          {"results",
           {{"items", "/results"}, {"success", "/success"}, {"error", "/error"}, {"id", "/id"},
            {"status", "/status"}}}};
}

json http_sync(const contacts_model& model, const std::string& base,
               const std::string& mode = "mirror") {
  return {{"name", "contacts_to_http"},
          {"source", model.source()},
          {"destination", http_destination_at(base)},
          {"mode", mode},
          {"mapping",
           {{{"from", "email"}, {"to", "email"}},
            {{"from", "first_name"}, {"to", "firstname"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "http";
  a.emulator_args = {"--per-second", "0", "--bearer", token};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = http_sync(model, emu.url());
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>())
        out[r["key"].get<std::string>()] = r["fields"]["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r["creates"].get<int>() > 1 && !r["deleted"].get<bool>() && r["deletes"] == 0)
        return r["key"].get<std::string>() + " created " + r["creates"].dump() + " times";
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "/v1/contacts/"}};
  a.refuse_bad_rows = [](emulator_process& emu) {
    emu.control_post("rules", {{"reject_if", {{"field", "fields/tier"}, {"contains", "invalid"}}}});
  };
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "http";
  p.emulator = "http";
  p.emulator_options = {"--per-second", "0", "--bearer", token};
  p.modes = {"upsert", "mirror"};
  p.api_path = "/v1/contacts/";
  p.composite_keys = true;
  p.long_keys = true;
  p.implicit_mapping = true;
  p.expected = oracle::http_contract::expected_http;
  p.held = oracle::http_contract::held_http;
  p.sent = oracle::http_contract::sent_http;
  p.destination_at = [](const std::string& url) {
    auto d = http_destination_at(url);
    d["batch_size"] = 25;
    return d;
  };
  p.fields = {{"fn", "name"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"}, {"note", "note"}, {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

/// One record per request: `PUT /v1/people/{{key}}` (the key percent-encoded in the path, where
/// the emulator takes it from), `DELETE` the same URL, the answer's own `success` and `id`.
oracle::profile oracle_single_profile() {
  oracle::profile p = oracle_profile();
  p.name = "http_single";
  p.emulator_options = {"--per-second", "0", "--key", "path", "--bearer", token};
  p.api_path = "/v1/people/";
  p.sent = oracle::http_contract::sent_http_single;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "http"},
                {"base_url", url},
                {"operations",
                 {{"upsert",
                   {{"method", "PUT"},
                    {"url", "/v1/people/{{key}}"},
                    {"body", {{"key", "{{key}}"}, {"fields", "{{fields}}"}}}}},
                  {"delete", {{"url", "/v1/people/{{key}}"}}}}},
                {"auth", {{"type", "bearer"}, {"token", token}}},
                {"results", {{"success", "/success"}, {"id", "/id"}}}};
  };
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

/// A 207 for a batch of ten: every item applied but the third, which says 503 at "/status".
json results_with_third_busy() {
  json results = json::array();
  for (int i = 0; i < faults::batch_size; ++i)
    results.push_back(i == 2 ? json{{"success", false}, {"status", 503}, {"error", "busy, retry"}}
                             : json{{"success", true}, {"id", "rec_" + std::to_string(i)}});
  return {{"results", results}};
}

/// The http destination's own rows: per-record results read by JSON pointer, an answer whose
/// results cannot be read, a 429 with Retry-After, a 401.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string h = "http";
  return {
    {"207 with one item 503 at /results/2/status", h,
     {{{"nth", 2}, {"status", 207}, {"apply", true}, {"body", results_with_third_busy()}}},
     finishes(1, 6)},
    {"200 without results", h,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", {{"ok", true}}}}},
     finishes(10, 6)},
    fault_row{"429 with Retry-After: 2 on the first batch", h,
              {{{"nth", 1}, {"status", 429}, {"headers", {{"Retry-After", "2"}}},
                {"body", {{"error", "rate limited: more than 10 requests per second"}}}}},
              finishes(10, 6)}
        .waits(2000),
    fault_row{"401 mid-run", h,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", {{"error", "missing or wrong bearer token"}}}}},
              stops(20, 0, 3)}
        .says("401"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "http";
  f.emulator_args = {"--per-second", "0", "--bearer", token};
  f.api_path = "/v1/contacts/";
  f.delete_mode = "mirror";
  f.server_error_body = {{"error", "unavailable"}};
  f.rate_limit_body = {{"error", "rate limited"}};
  f.sync = [](const contacts_model& model, const std::string& base) {
    return http_sync(model, base, "upsert");
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false)) {
        auto& h = out[r["key"].get<std::string>()];
        h.created += r["creates"].get<int>();
        auto score = r["fields"]["fields"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace http_parts

test_destination http_tests() {
  return {"http", http_parts::conformance(),
          {http_parts::oracle_profile(), http_parts::oracle_single_profile()},
          http_parts::fault_view()};
}

}  // namespace backflow::testing
