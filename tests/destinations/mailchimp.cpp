// Mailchimp audience members under test (batch subscribe or update): what the conformance suite,
// the oracle and the fault matrix know of it. The oracle's expectation comes from
// docs/connectors/mailchimp.md: one member per key (the email address, trimmed and lowercased),
// subscribed while its row is in the model (unsubscribed once it left, in mirror mode), each
// mapped merge field with the row's value (NULL and "" both read as no value).
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::mailchimp_contract {

expected_state expected_mailchimp(const model_view& model) {
  return records_by_key(model, blank_is_empty);
}

held_state held_mailchimp(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");  // kept: the loop reads into it
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];  // merge fields shown as "merge_fields.NAME"
    h.live = r.value("status", "") == "subscribed";
    out.by_key[r.value("email_address", "")].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_mailchimp(const nlohmann::json& request) {
  std::vector<sent_value> out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("members") || !body["members"].is_array())
    return out;
  for (const auto& m : body["members"]) {
    if (!m.is_object())
      continue;
    const auto key = m.contains("email_address") && m["email_address"].is_string()
                         ? m["email_address"].get<std::string>()
                         : std::string();
    for (const auto& [name, value] : m.items()) {
      if (name == "merge_fields" && value.is_object())
        for (const auto& [field, v] : value.items())
          out.push_back({key, "merge_fields." + field, v});
      else if (name != "email_address" && name != "status")
        out.push_back({key, name, value});
    }
  }
  return out;
}

}  // namespace backflow::oracle::mailchimp_contract

namespace backflow::testing {
namespace mailchimp_parts {

using nlohmann::json;

json mailchimp_at(const std::string& url) {
  return {{"type", "mailchimp"},
          {"endpoint", url},
          {"api_key", "emulator-key-us1"},
          {"list_id", "emulator-list"}};
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "mailchimp";
  a.emulator_args = {"--concurrent", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    return json{{"name", "contacts_to_mailchimp"},
                {"source", model.source()},
                {"destination", mailchimp_at(emu.url())},
                {"mode", "mirror"},
                {"mapping",
                 {{{"from", "first_name"}, {"to", "merge_fields.FNAME"}},
                  {{"from", "score"}, {"to", "merge_fields.SCORE"}, {"type", "number"}},
                  {{"from", "tier"}, {"to", "merge_fields.TIER"}}}},
                {"delivery", conformance_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (r.value("status", "") == "subscribed")
        out[r.value("email_address", "")] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) {
    return number_of(fields.value("merge_fields.SCORE", json()));
  };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r.value("creations", 1) > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"path_contains", "/3.0/lists/"}};
  return a;  // the planted row "not-an-email" is in the answer's errors (ERROR_GENERIC)
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "mailchimp";
  p.emulator = "mailchimp";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/3.0/lists/";
  p.record_ids = true;
  p.email_keys = true;
  p.expected = oracle::mailchimp_contract::expected_mailchimp;
  p.held = oracle::mailchimp_contract::held_mailchimp;
  p.sent = oracle::mailchimp_contract::sent_mailchimp;
  p.destination_at = [](const std::string& url) {
    auto d = mailchimp_at(url);
    d["batch_size"] = 50;
    return d;
  };
  p.emulator_options = {"--concurrent", "0"};
  p.fields = {{"fn", "merge_fields.FNAME"},     {"score", "merge_fields.SCORE"},
              {"big", "merge_fields.BIG"},      {"amount", "merge_fields.AMOUNT"},
              {"tier", "merge_fields.TIER"},    {"note", "merge_fields.NOTE"},
              {"notes", "merge_fields.NOTES"},  {"score_text", "merge_fields.SCORE_TEXT"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json problem(int status, const std::string& title, const std::string& detail) {
  return {{"type", "https://mailchimp.com/developer/marketing/docs/errors/"},
          {"title", title}, {"status", status}, {"detail", detail}};
}

/// The 2nd batch's answer (user20..user29, all new) without user23.
json answer_without_user23() {
  json created = json::array();
  for (int i = 20; i < 30; ++i)
    if (i != 23)
      created.push_back({{"id", "hash" + std::to_string(i)},
                         {"email_address", email_of(i)}, {"status", "subscribed"}});
  return {{"new_members", created}, {"updated_members", json::array()},
          {"errors", json::array()}, {"total_created", 9}, {"total_updated", 0},
          {"error_count", 0}};
}

/// Mailchimp's own rows: the 10-connection 429, a member missing from a 200, a key refused.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string s = "mailchimp";
  return {
    {"429 over 10 simultaneous connections", s,
     {{{"nth", 2}, {"status", 429},
       {"body", problem(429, "Too Many Requests",
                        "You have exceeded the limit of 10 simultaneous connections.")}}},
     finishes(10, 6)},
    {"a member missing from the answer", s,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", answer_without_user23()}}},
     finishes(1, 6)},
    fault_row{"401 API Key Invalid mid-run", s,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", problem(401, "API Key Invalid", "Your API key may be invalid.")}}},
              stops(20, 0, 3)}
        .says("API Key Invalid"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "mailchimp";
  f.emulator_args = {"--concurrent", "0"};
  f.api_path = "/3.0/lists/";
  f.delete_mode = "mirror";
  f.server_error_body = problem(503, "Service Unavailable", "Please try again later.");
  f.rate_limit_body = problem(429, "Too Many Requests", "Too many requests.");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return json{{"name", "contacts_to_mailchimp"},
                {"source", model.source()},
                {"destination", mailchimp_at(base)},
                {"mode", "upsert"},
                {"mapping",
                 {{{"from", "score"}, {"to", "merge_fields.SCORE"}, {"type", "number"}}}}};
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (r.value("status", "") == "subscribed") {
        auto& h = out[r.value("email_address", "")];
        h.created += r["creations"].get<int>();
        auto score = r["fields"].value("merge_fields.SCORE", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace mailchimp_parts

test_destination mailchimp_tests() {
  return {"mailchimp", mailchimp_parts::conformance(), {mailchimp_parts::oracle_profile()},
          mailchimp_parts::fault_view()};
}

}  // namespace backflow::testing
