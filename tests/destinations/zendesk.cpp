// Zendesk users and organizations under test (users: create_or_update_many / destroy_many
// background jobs; organizations: create_or_update, destroy_many jobs): what the
// conformance suite, the oracle and the fault matrix know of it. The oracle's expectation comes
// from docs/connectors/zendesk.md: one live user per key in external_id, standard fields by
// their name and custom fields under user_fields, each with the row's value as JSON (numbers as
// numbers; NULL and "" both read as no value, as Zendesk clears a field with either).
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::zendesk_contract {

expected_state expected_zendesk(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

held_state held_zendesk(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];  // custom fields shown as "user_fields.NAME"
    h.live = !r.value("deleted", false);
    out.by_key[r.value("external_id", "")].push_back(std::move(h));
  }
  out.note = "zendesk: " + all["jobs"].dump() + " jobs submitted";
  return out;
}

std::vector<sent_value> sent_zendesk(const nlohmann::json& request) {
  std::vector<sent_value> out;
  if (request.value("path", "").find("create_or_update_many") == std::string::npos)
    return out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("users") || !body["users"].is_array())
    return out;
  for (const auto& u : body["users"]) {
    if (!u.is_object())
      continue;
    const auto key = u.contains("external_id") && u["external_id"].is_string()
                         ? u["external_id"].get<std::string>()
                         : std::string();
    for (const auto& [name, value] : u.items()) {
      if (name == "user_fields" && value.is_object())
        for (const auto& [field, v] : value.items())
          out.push_back({key, "user_fields." + field, v});
      else if (name != "external_id")
        out.push_back({key, name, value});
    }
  }
  return out;
}

}  // namespace backflow::oracle::zendesk_contract

namespace backflow::testing {
namespace zendesk_parts {

using nlohmann::json;

/// The nth job the emulator creates (its ids count up from 1).
std::string job_id(int n) {
  std::string hex = std::to_string(n);  // n < 10 in these rows: one hex digit
  return std::string(32 - hex.size(), '0') + hex;
}

json destination_at(const std::string& url) {
  return {{"type", "zendesk"},
          {"url", url},
          {"email", "sync@example.com"},
          {"api_token", "emulator-token"},
          {"poll_initial", "10ms"},
          {"poll_max", "100ms"}};
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "zendesk";
  a.emulator_args = {"--per-minute", "0", "--max-jobs", "0", "--bulk-delay-ms", "20"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto destination = destination_at(emu.url());
    destination.erase("email");
    destination.erase("api_token");
    destination["oauth_token"] = "emulator-oauth-token";  // the other credential: both are tested
    return json{{"name", "contacts_to_zendesk"},
                {"source", model.source()},
                {"destination", destination},
                {"mode", "mirror"},
                {"mapping",
                 {{{"from", "email"}, {"to", "email"}},
                  {{"from", "first_name"}, {"to", "name"}},
                  {{"from", "score"}, {"to", "user_fields.score"}, {"type", "number"}},
                  {{"from", "tier"}, {"to", "user_fields.tier"}}}},
                {"delivery", conformance_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false))
        out[r.value("external_id", "")] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) {
    return number_of(fields.value("user_fields.score", json()));
  };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r.value("creations", 1) > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"path_contains", "/api/v2/users/"}};
  return a;  // the planted row's email "not-an-email" fails inside its job (UserUpdateError)
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "zendesk";
  p.emulator = "zendesk";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/api/v2/users/";
  p.record_ids = true;
  p.expected = oracle::zendesk_contract::expected_zendesk;
  p.held = oracle::zendesk_contract::held_zendesk;
  p.sent = oracle::zendesk_contract::sent_zendesk;
  p.destination_at = [](const std::string& url) {
    auto d = destination_at(url);
    d["batch_size"] = 50;
    return d;
  };
  p.emulator_options = {"--per-minute", "0", "--max-jobs", "0", "--bulk-delay-ms", "20"};
  p.fields = {{"fn", "name"},
              {"score", "user_fields.score"},
              {"big", "user_fields.big"},
              {"amount", "user_fields.amount"},
              {"tier", "user_fields.tier"},
              {"note", "notes"},
              {"notes", "details"},
              {"score_text", "user_fields.score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json job_status(const std::string& id, const std::string& status, json results = nullptr) {
  return {{"job_status",
           {{"id", id}, {"status", status}, {"total", faults::batch_size}, {"results", results},
            {"message", status == "completed" ? "Completed" : ""},
            {"url", "/api/v2/job_statuses/" + id + ".json"}}}};
}

/// A completed job's results for the 2nd batch (user20..user29) with index 3's result missing.
json results_without_index_3() {
  json results = json::array();
  for (int i = 0; i < faults::batch_size; ++i)
    if (i != 3)
      results.push_back({{"index", i}, {"id", 360000000100 + i}, {"status", "Updated"},
                         {"action", "update"}, {"success", true}});
  return results;
}

const json poll_match = {{"method", "GET"}, {"path_contains", "/job_statuses/"}};
const json org_match = {{"method", "POST"}, {"path_contains", "/api/v2/organizations/"}};

/// Zendesk's answer to an organization whose name another one holds (zendesk_api_client_rb#457).
json name_taken(const std::string& name) {
  return {{"error", "RecordInvalid"},
          {"description", "Record validation errors"},
          {"details", {{"name", {{{"description", "Name: " + name + " has already been taken"},
                                  {"error", "DuplicateValue"}}}}}}};
}

/// `row` with `object: organizations`: first_name is the organization's (unique) name, the
/// score a custom organization field, no client-side rate limit.
faults::fault_row organizations(faults::fault_row row) {
  // 50 requests: the Team plan's 200 a minute would make the row last 15 s.
  row.patch["destination"] = {{"object", "organizations"}, {"rate_limit", {{"per_minute", 0}}}};
  row.patch["mapping"] = {{{"from", "first_name"}, {"to", "name"}},
                          {{"from", "score"}, {"to", "organization_fields.score"},
                           {"type", "number"}}};
  return row;
}

/// Zendesk's own rows: jobs that end failed or killed, a job status that fails while polled, a
/// completed job missing a record's result, the account's job queue full. The generic rows run
/// with jobs that complete at once (one call per batch); these rows make the 2nd job queued by
/// answering its submission (after it was processed) with a queued job_status, so it is polled.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string s = "zendesk";
  const json queued_2nd = {{"nth", 2}, {"status", 200}, {"apply", true},
                           {"body", job_status(job_id(2), "queued")}};
  return {
    {"job ends failed", s,
     {{{"nth", 2}, {"status", 200}, {"body", job_status("f00d", "failed")}}}, finishes(10, 6)},
    {"job killed while polled", s,
     {queued_2nd, {{"match", poll_match}, {"status", 200},
                   {"body", job_status(job_id(2), "killed")}}},
     finishes(10, 7)},
    {"job status 503 twice while polled", s,
     {queued_2nd, {{"match", poll_match}, {"count", 2}, {"status", 503},
                   {"body", {{"error", "ServiceUnavailable"}}}}},
     finishes(20, 8)},
    {"job status 404 while polled (expired)", s,
     {queued_2nd, {{"match", poll_match}, {"status", 404},
                   {"body", {{"error", "RecordNotFound"}, {"description", "Not found"}}}}},
     finishes(10, 7)},
    {"completed job missing one record's result", s,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", job_status(job_id(2), "completed", results_without_index_3())}}},
     finishes(10, 6)},
    fault_row{"429 TooManyJobs with Retry-After", s,
              {{{"nth", 2}, {"status", 429}, {"headers", retry_after_1},
                {"body", {{"error", "TooManyJobs"}}}}},
              finishes(10, 6)}
        .waits(1000),
    fault_row{"401 mid-run", s,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", {{"error", "Couldn't authenticate you"}}}}},
              stops(20, 0, 3)}
        .says("authenticate"),
    fault_row{"deletes: job ends killed", s,
              {{{"nth", 2}, {"status", 200}, {"body", job_status("dead", "killed")}}},
              deletes_finish(10, 4)}
        .deleting(deletes),
    // Organizations go one per create_or_update request (50 calls): the 2nd one's name "taken"
    // (Zendesk's 422 RecordInvalid; applied first, as the matrix checks every row is held) is
    // rejected alone; a 503 sends only that one organization again.
    organizations(fault_row{"organizations: 422 name taken, that one rejected alone", s,
                            {{{"match", org_match}, {"nth", 2}, {"status", 422}, {"apply", true},
                              {"body", name_taken("User 11")}}},
                            finishes_rejecting(1, 50)}),
    organizations(fault_row{"organizations: 503 on one, only it sent again", s,
                            {{{"match", org_match}, {"nth", 3}, {"status", 503},
                              {"body", {{"error", "ServiceUnavailable"}}}}},
                            finishes(1, 51)}),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "zendesk";
  f.emulator_args = {"--bulk-delay-ms", "0", "--per-minute", "0", "--max-jobs", "0"};
  f.api_path = "/api/v2/users/";
  f.delete_mode = "mirror";
  f.server_error_body = {{"error", "ServiceUnavailable"}};
  f.rate_limit_body = {{"error", "APIRateLimitExceeded"}};
  f.sync = [](const contacts_model& model, const std::string& base) {
    return json{{"name", "contacts_to_zendesk"},
                {"source", model.source()},
                {"destination", destination_at(base)},
                {"mode", "upsert"},
                {"mapping",
                 {{{"from", "email"}, {"to", "email"}},
                  {{"from", "score"}, {"to", "user_fields.score"}, {"type", "number"}}}}};
  };
  f.held = [](emulator_process& emu) {  // users, or organizations in the rows that write them
    std::map<std::string, faults::held_record> out;
    const auto all = emu.control_get("records");
    for (const auto* list : {&all["records"], &all["organizations"]})
      for (const auto& r : *list)
        if (!r.value("deleted", false)) {
          auto& h = out[r.value("external_id", "")];
          h.created += r["creations"].get<int>();
          auto score = r["fields"].value("user_fields.score",
                                         r["fields"].value("organization_fields.score", json()));
          h.score = score.is_null() ? std::string() : faults::score_text(score);
        }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace zendesk_parts

test_destination zendesk_tests() {
  return {"zendesk", zendesk_parts::conformance(), {zendesk_parts::oracle_profile()},
          zendesk_parts::fault_view()};
}

}  // namespace backflow::testing
