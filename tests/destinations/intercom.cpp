// Intercom under test: what the conformance suite, the oracle and the fault matrix know of it.
// The oracle's expectation comes from docs/connectors/intercom.md (Intercom REST API 2.14:
// contacts created or updated one at a time, custom attributes merged, null clears), never from
// the connector: one live contact per key (its external_id), `name` top-level and every other
// mapped field a custom attribute; NULL is null, "" is "", numbers are numbers (decimals may
// arrive as their exact text).
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::intercom_contract {
namespace {

want intercom_field(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null)
    return want::null();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

/// A contact's attributes as one object: top-level ones and custom attributes side by side.
nlohmann::json flattened(const nlohmann::json& contact) {
  nlohmann::json out = contact.value("custom_attributes", nlohmann::json::object());
  for (const auto& [k, v] : contact.items())
    if (k != "custom_attributes")
      out[k] = v;
  return out;
}

}  // namespace

expected_state expected_intercom(const model_view& model) {
  return records_by_key(model, intercom_field);
}

held_state held_intercom(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records?object=contacts");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = flattened(r);
    h.live = !r["archived"].get<bool>() && !r["deleted"].get<bool>();
    out.by_key[r.value("external_id", "")].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_intercom(const nlohmann::json& request) {
  std::vector<sent_value> out;
  const auto path = request.value("path", "");
  const auto method = request.value("method", "");
  if (path.rfind("/contacts", 0) != 0 || path.find("/search") != std::string::npos ||
      (method != "POST" && method != "PUT"))
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("external_id") || !body["external_id"].is_string())
    return out;
  const auto key = body["external_id"].get<std::string>();
  if (body.contains("name"))
    out.push_back({key, "name", body["name"]});
  if (body.contains("custom_attributes") && body["custom_attributes"].is_object())
    for (const auto& [name, value] : body["custom_attributes"].items())
      out.push_back({key, name, value});
  return out;
}

}  // namespace backflow::oracle::intercom_contract

namespace backflow::testing {
namespace intercom_parts {

using nlohmann::json;

/// A sync of the contacts model to Intercom `object` (contacts matched by email: the key).
json intercom_sync(const contacts_model& model, const std::string& endpoint,
                   const std::string& object, const std::string& mode) {
  return {{"name", "contacts_to_intercom"},
          {"source", model.source()},
          {"destination",
           {{"type", "intercom"},
            {"endpoint", endpoint},
            {"token", "emulator-token"},
            {"object", object},
            {"match_by", "email"},
            {"rate_limit", {{"per_minute", 0}}}}},
          {"mode", mode},
          {"mapping",
           {{{"from", "first_name"}, {"to", "name"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

/// The records of `object` the emulator holds and has not archived or deleted, by key.
std::map<std::string, json> live_records(emulator_process& emu, const std::string& object) {
  std::map<std::string, json> out;
  const auto all = emu.control_get("records?object=" + object);  // kept: its members are read
  for (const auto& r : all["records"])
    if (!r["archived"].get<bool>() && !r["deleted"].get<bool>())
      out[r.value(object == "contacts" ? "email" : "company_id", "")] = r;
  return out;
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "intercom";
  a.emulator_args = {"--per-10s", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = intercom_sync(model, emu.url(), "contacts", "mirror");
    sync["delivery"] = conformance_retries;
    sync["delivery"]["concurrency"] = 16;  // one record per request: throughput is concurrency
    return sync;
  };
  a.live = [](emulator_process& emu) { return live_records(emu, "contacts"); };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& r) {
    return number_of(r.value("custom_attributes", json::object()).value("score", json()));
  };
  a.created_twice = [](emulator_process& emu) {
    const auto all = emu.control_get("records?object=contacts");
    for (const auto& r : all["records"])
      if (r["creations"].get<int>() > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "/contacts"}};
  return a;  // the bad row's key "not-an-email" is refused by Intercom as an email
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "intercom";
  p.emulator = "intercom";
  p.modes = {"upsert", "update", "insert", "mirror"};
  p.api_path = "/contacts";
  p.record_ids = true;
  p.composite_keys = true;
  p.expected = oracle::intercom_contract::expected_intercom;
  p.held = oracle::intercom_contract::held_intercom;
  p.sent = oracle::intercom_contract::sent_intercom;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "intercom"},
                {"endpoint", url},
                {"token", "emulator-token"},
                {"rate_limit", {{"per_minute", 0}}}};
  };
  p.emulator_options = {"--per-10s", "0"};
  p.fields = {{"fn", "name"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"}, {"note", "note"}, {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json intercom_error(const std::string& code, const std::string& message) {
  return {{"type", "error.list"}, {"request_id", "fault-matrix"},
          {"errors", {{{"code", code}, {"message", message}}}}};
}

std::vector<fault_row> fault_rows();

/// The generic rows run against companies (one POST /companies upsert per record, like a batch
/// of one); the contact rows (search, create, update) are Intercom's own.
faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "intercom";
  f.emulator_args = {"--per-10s", "0"};
  f.api_path = "/companies";
  f.delete_mode = "mirror";
  f.per_request = 1;
  f.server_error_body = intercom_error("service_unavailable", "Sorry, the API service is "
                                                              "temporarily unavailable");
  f.rate_limit_body = intercom_error("rate_limit_exceeded", "Exceeded rate limit of 1667 in "
                                                            "10_seconds");
  f.wait_after_429_ms = 1000;  // no X-RateLimit-Reset: a second, then the next window
  f.sync = [](const contacts_model& model, const std::string& base) {
    return intercom_sync(model, base, "companies", "upsert");
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (const auto* object : {"companies", "contacts"})
      for (auto& [key, r] : live_records(emu, object)) {
        auto& h = out[key];
        h.created += r["creations"].get<int>();
        auto score = r.value("custom_attributes", json::object()).value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

/// A fault on the nth POST to /contacts… (at concurrency 1 the requests of each record are
/// search, then create: the nth is known).
json on_contacts(int nth, json fault) {
  fault["nth"] = nth;
  fault["match"] = {{"method", "POST"}, {"path_contains", "/contacts"}};
  return fault;
}

/// Intercom's own rows: its 409 on create, its X-RateLimit-Reset, its auth and validation answers,
/// lost answers on contacts (which are found by search, never created twice).
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string h = "intercom";
  const json contacts = {{"object", "contacts"}};
  const json far_reset = {{"X-RateLimit-Limit", "1667"},
                          {"X-RateLimit-Remaining", "0"},
                          {"X-RateLimit-Reset", "4102444800"}};  // 2100-01-01: capped at 60 s
  return {
    // The first create lands but is answered 409 (naming a wrong id): search finds the contact,
    // which is updated. Calls: 50 searches + 50 creates, plus one search and one update.
    fault_row{"contacts: 409 on create, resolved by search and update", h,
              {on_contacts(2, {{"status", 409}, {"apply", true},
                               {"body", intercom_error("conflict",
                                                       "A contact matching those details "
                                                       "already exists with id=000bogus")}})},
              finishes(0, 102)}
        .with_destination(contacts),
    // The first create's answer is lost after it landed: the same create again is answered 409,
    // then search and update. One record re-sent.
    fault_row{"contacts: reset mid-body after a create", h,
              {on_contacts(2, {{"drop", true}, {"apply", true}})}, finishes(1, 103)}
        .with_destination(contacts),
    fault_row{"contacts: 503 on a search", h,
              {on_contacts(3, {{"status", 503}, {"count", 2}})}, finishes(2, 102)}
        .with_destination(contacts),
    fault_row{"429 with X-RateLimit-Reset far ahead", h,
              {{{"nth", 2}, {"status", 429}, {"headers", far_reset},
                {"body", intercom_error("rate_limit_exceeded", "Exceeded rate limit of 1667 in "
                                                               "10_seconds")}}},
              stops(1, 0, 2)}
        .resumed_next_day().says("paused"),
    fault_row{"remaining 0 on a success, Reset far ahead", h,
              {{{"nth", 2}, {"headers", far_reset}}}, stops(2, 0, 2)}
        .resumed_next_day().says("asked to pause"),
    fault_row{"401 mid-run", h,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", intercom_error("unauthorized", "Access Token Invalid")}}},
              stops(2, 0, 3)}
        .says("Access Token Invalid"),
    fault_row{"deletes: 503 burst", h, {{{"nth", 2}, {"count", 2}, {"status", 503}}},
              deletes_finish(2, 32)}
        .deleting(deletes),
  };
}

}  // namespace intercom_parts

test_destination intercom_tests() {
  return {"intercom", intercom_parts::conformance(), {intercom_parts::oracle_profile()},
          intercom_parts::fault_view()};
}

}  // namespace backflow::testing
