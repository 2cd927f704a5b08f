// Klaviyo profiles under test (Bulk Import Profiles jobs, list membership): what the conformance
// suite, the oracle and the fault matrix know of it. The oracle's expectation comes from
// docs/connectors/klaviyo.md, never from the connector: one profile per key (in external_id),
// standard attributes by name and custom properties by their bare name, each with the row's
// value as JSON (numbers as numbers); NULL and "" both read as no value (a bulk import cannot
// clear with null, so the connector sends ""); audience syncs: exactly the model's keys are
// members of the list.
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::klaviyo_contract {

const char* const oracle_list = "OracleList";

expected_state expected_klaviyo(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

/// Profiles by external_id; live: every profile (upsert), or the list's members (audience).
held_state held_profiles(testing::emulator_process& emulator, bool members_only) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];
    h.fields.erase("external_id");
    bool member = false;
    for (const auto& l : r["lists"])
      member = member || l == oracle_list;
    h.live = !members_only || member;
    out.by_key[r.value("external_id", "")].push_back(std::move(h));
  }
  out.note = "klaviyo: " + all["jobs"].dump() + " import jobs";
  return out;
}

held_state held_klaviyo(testing::emulator_process& emulator) {
  return held_profiles(emulator, false);
}

held_state held_klaviyo_members(testing::emulator_process& emulator) {
  return held_profiles(emulator, true);
}

std::vector<sent_value> sent_klaviyo(const nlohmann::json& request) {
  std::vector<sent_value> out;
  if (request.value("path", "").find("/api/profile-bulk-import-jobs") == std::string::npos ||
      request.value("method", "") != "POST")
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object())
    return out;
  auto profiles = body.value("/data/attributes/profiles/data"_json_pointer, nlohmann::json());
  if (!profiles.is_array())
    return out;
  for (const auto& p : profiles) {
    auto attributes = p.is_object() ? p.value("attributes", nlohmann::json()) : nlohmann::json();
    if (!attributes.is_object())
      continue;
    const auto key = attributes.contains("external_id") && attributes["external_id"].is_string()
                         ? attributes["external_id"].get<std::string>()
                         : std::string();
    for (const auto& [name, value] : attributes.items()) {
      if ((name == "properties" || name == "location") && value.is_object())
        for (const auto& [field, v] : value.items())
          out.push_back({key, name == "location" ? "location." + field : field, v});
      else if (name != "external_id")
        out.push_back({key, name, value});
    }
  }
  return out;
}

}  // namespace backflow::oracle::klaviyo_contract

namespace backflow::testing {
namespace klaviyo_parts {

using nlohmann::json;

const std::string api_key = "pk_emulator";

json destination_at(const std::string& url) {
  return {{"type", "klaviyo"},
          {"url", url},
          {"api_key", api_key},
          {"poll_initial", "10ms"},
          {"poll_max", "100ms"}};
}

/// The profiles that are members of `list`.
std::vector<json> members(emulator_process& emu, const std::string& list) {
  std::vector<json> out;
  for (auto& r : emu.records())
    for (const auto& l : r["lists"])
      if (l == list)
        out.push_back(r);
  return out;
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "klaviyo";
  a.emulator_args = {"--per-minute", "0", "--per-second", "0", "--bulk-delay-ms", "20"};
  a.mode = "audience";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto destination = destination_at(emu.url());
    destination["list_id"] = "ConformanceList";
    destination["batch_size"] = 500;
    return json{{"name", "contacts_to_klaviyo"},
                {"source", model.source()},
                {"destination", destination},
                {"mode", "audience"},
                {"mapping",
                 {{{"from", "first_name"}, {"to", "first_name"}},
                  {{"from", "score"}, {"to", "score"}, {"type", "number"}},
                  {{"from", "tier"}, {"to", "properties.tier"}}}},
                {"delivery", conformance_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : members(emu, "ConformanceList"))
      out[r.value("email", "")] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r.value("creations", 1) > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "/api/profile-bulk-import-jobs"}};
  return a;  // the planted row's email "not-an-email" comes back as its job's import error
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile(bool audience) {
  oracle::profile p;
  p.name = audience ? "klaviyo_audience" : "klaviyo";
  p.emulator = "klaviyo";
  p.modes = {audience ? "audience" : "upsert"};
  p.api_path = "/api/";
  p.record_ids = true;
  p.expected = oracle::klaviyo_contract::expected_klaviyo;
  p.held = audience ? oracle::klaviyo_contract::held_klaviyo_members
                    : oracle::klaviyo_contract::held_klaviyo;
  p.sent = oracle::klaviyo_contract::sent_klaviyo;
  p.destination_at = [audience](const std::string& url) {
    auto d = destination_at(url);
    d["identifier"] = "external_id";  // the oracle's keys are any text, not emails
    d["batch_size"] = 50;
    if (audience)
      d["list_id"] = oracle::klaviyo_contract::oracle_list;
    return d;
  };
  p.emulator_options = {"--per-minute", "0", "--per-second", "0", "--bulk-delay-ms", "20"};
  p.fields = {{"fn", "first_name"},
              {"score", "score"},
              {"big", "big"},
              {"amount", "amount"},
              {"tier", "tier"},
              {"note", "organization"},
              {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

const std::string jobs = "/api/profile-bulk-import-jobs";

/// The nth job the emulator creates (its ids count up from 1).
std::string job_id(int n) {
  std::string digits = std::to_string(n);
  return "job-" + std::string(6 - digits.size(), '0') + digits;
}

/// A profile-bulk-import-job answer, written from Klaviyo's reference.
json job(const std::string& id, const std::string& status, int failed = 0) {
  const bool complete = status == "complete";
  return {{"data",
           {{"type", "profile-bulk-import-job"},
            {"id", id},
            {"attributes",
             {{"status", status},
              {"total_count", faults::batch_size},
              {"completed_count", complete ? faults::batch_size - failed : 0},
              {"failed_count", failed},
              {"created_at", "2026-12-06T10:00:00+00:00"}}},
            {"links", {{"self", jobs + "/" + id}}}}}};
}

/// One import error: the profile named by its original payload (email), or only by its index.
json import_error(const std::string& email, int index) {
  json e = {{"type", "import-error"},
            {"id", "e4eebb08-b055-4a6f-bb13-c8cb69c9eb9" + std::to_string(index)},
            {"attributes",
             {{"code", "invalid"},
              {"title", "Invalid input."},
              {"detail", "Invalid email address"},
              {"source",
               {{"pointer", "/data/attributes/profiles/data/" + std::to_string(index) +
                                "/attributes/email"}}},
              {"original_payload", nullptr}}}};
  if (!email.empty())
    e["attributes"]["original_payload"] = {{"type", "profile"},
                                           {"attributes", {{"email", email}, {"score", 23}}}};
  return e;
}

json errors_page(std::vector<json> errors, const std::string& next = {}) {
  return {{"data", std::move(errors)},
          {"links", {{"self", "x"}, {"next", next.empty() ? json() : json(next)}, {"prev", nullptr}}}};
}

/// Klaviyo's own rows: a job polled through its states, jobs that end cancelled or failed or are
/// forgotten, import errors (named by payload, by index, over two pages, or only counted), a
/// 401. The generic rows run with jobs complete when submitted (one call per batch); these make
/// the 2nd job queued by answering its submission (after it was processed) as queued.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string s = "klaviyo";
  const json poll = {{"method", "GET"}, {"path_contains", jobs + "/" + job_id(2)}};
  const json errors = {{"method", "GET"}, {"path_contains", "/import-errors"}};
  auto second_answered = [&](const json& body) {
    return json{{"nth", 2}, {"status", 202}, {"apply", true}, {"body", body}};
  };
  const json queued_2nd = second_answered(job(job_id(2), "queued"));
  json not_found = {{"errors", json::array()}};
  not_found["errors"].push_back({{"status", 404}, {"code", "not_found"}, {"title", "Not found."}});
  json unauthenticated = {{"errors", json::array()}};
  unauthenticated["errors"].push_back({{"status", 401},
                                       {"code", "authentication_failed"},
                                       {"title", "Incorrect authentication credentials."},
                                       {"detail", "Incorrect authentication credentials."}});
  return {
    {"job polled through queued and processing", s,
     {queued_2nd, {{"match", poll}, {"status", 200}, {"body", job(job_id(2), "processing")}}},
     finishes(0, 7)},
    {"job cancelled while polled", s,
     {queued_2nd, {{"match", poll}, {"status", 200}, {"body", job(job_id(2), "cancelled")}}},
     finishes(10, 7)},
    {"job ends failed", s,
     {{{"nth", 2}, {"status", 202}, {"body", job("job-f00d", "failed")}}}, finishes(10, 6)},
    {"job 404 while polled (expired)", s,
     {queued_2nd, {{"match", poll}, {"status", 404}, {"body", not_found}}}, finishes(10, 7)},
    // user23 is the 2nd batch's 4th profile (user20..user29).
    {"import error names a profile by its payload", s,
     {second_answered(job(job_id(2), "complete", 1)),
      {{"match", errors}, {"status", 200},
       {"body", errors_page({import_error("user23@example.com", 3)})}}},
     finishes_rejecting(1, 6)},
    {"import errors over two pages, one named by index only", s,
     {second_answered(job(job_id(2), "complete", 2)),
      {{"match", errors}, {"status", 200},
       {"body", errors_page({import_error("USER21@example.com", 1)},
                            jobs + "/" + job_id(2) + "/import-errors?page%5Bcursor%5D=1")}},
      {{"match", errors}, {"nth", 2}, {"status", 200}, {"body", errors_page({import_error("", 5)})}}},
     finishes_rejecting(2, 7)},
    // Klaviyo counts a failure its errors do not name: no record is blamed, the batch goes again.
    {"failed_count without a named error", s,
     {second_answered(job(job_id(2), "complete", 1))}, finishes(10, 7)},
    fault_row{"401 mid-run", s,
              {{{"nth", 3}, {"count", 100}, {"status", 401}, {"body", unauthenticated}}},
              stops(20, 0, 3)}
        .says("authentication"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "klaviyo";
  f.emulator_args = {"--bulk-delay-ms", "0", "--per-minute", "0", "--per-second", "0"};
  f.api_path = "/api/";
  f.delete_mode = "audience";
  f.calls_per_delete_batch = 2;  // the members' profile ids are looked up, then removed
  f.server_error_body = {{"errors", {{{"status", 503}, {"code", "service_unavailable"}}}}};
  f.rate_limit_body = {{"errors", {{{"status", 429}, {"code", "throttled"},
                                    {"title", "Request was throttled."}}}}};
  f.sync = [](const contacts_model& model, const std::string& base) {
    auto destination = destination_at(base);
    destination["list_id"] = "FaultList";  // upserts join it; audience runs remove from it
    return json{{"name", "contacts_to_klaviyo"},
                {"source", model.source()},
                {"destination", destination},
                {"mode", "upsert"},
                {"mapping", {{{"from", "score"}, {"to", "score"}, {"type", "number"}}}}};
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : members(emu, "FaultList")) {
      auto& h = out[r.value("email", "")];
      h.created += r["creations"].get<int>();
      auto score = r["fields"].value("score", json());
      h.score = score.is_null() ? std::string() : faults::score_text(score);
    }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace klaviyo_parts

test_destination klaviyo_tests() {
  return {"klaviyo",
          klaviyo_parts::conformance(),
          {klaviyo_parts::oracle_profile(false), klaviyo_parts::oracle_profile(true)},
          klaviyo_parts::fault_view()};
}

}  // namespace backflow::testing
