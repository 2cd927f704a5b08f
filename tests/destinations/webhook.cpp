// The generic webhook under test: what the conformance suite, the oracle and the fault matrix
// know of it. The oracle's expectation comes from docs/connectors/webhook.md and the README: one
// record per key (trimmed, lowercased when it looks like an email; composite keys as their parts
// with `\` → `\\` and `|` → `\|`, joined with `|`), its `fields` exactly the mapped values as
// JSON (an upsert replaces them all): NULL is null, "" is "", numbers are numbers.
#include "pipelines/core/crypto.hpp"
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::webhook_contract {
namespace {

want webhook_field(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null)
    return want::null();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

}  // namespace

expected_state expected_webhook(const model_view& model) {
  return records_by_key(model, webhook_field, /*closed=*/true);
}

held_state held_webhook(testing::emulator_process& emulator) {
  held_state out;
  auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["fields"];
    h.live = !r["deleted"].get<bool>();
    out.by_key[r["key"].get<std::string>()].push_back(std::move(h));
  }
  out.note = "receiver: " + all["batches"].dump() + " batches applied, " +
             all["duplicates"].dump() + " answered 200 as duplicates of an earlier webhook-id";
  return out;
}

std::vector<sent_value> sent_webhook(const nlohmann::json& request) {
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

}  // namespace backflow::oracle::webhook_contract

namespace backflow::testing {
namespace webhook_parts {

using nlohmann::json;

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "webhook";
  a.emulator_args = {"--secret", "whsec_" + base64_encode("conformance")};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = webhook_sync(model, emu.url("/hooks/conformance"),
                             "whsec_" + base64_encode("conformance"), "mirror");
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>())
        out[r["key"].get<std::string>()] = r["fields"];
    return out;
  };
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process&) { return std::string(); };  // no creation: upserts
  a.write_match = {{"method", "POST"}, {"path_contains", "/hooks/"}};
  a.refuse_bad_rows = [](emulator_process& emu) {
    emu.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  };
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "webhook";
  p.emulator = "webhook";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/hooks/";
  p.composite_keys = true;
  p.long_keys = true;
  p.implicit_mapping = true;
  p.expected = oracle::webhook_contract::expected_webhook;
  p.held = oracle::webhook_contract::held_webhook;
  p.sent = oracle::webhook_contract::sent_webhook;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "webhook"},
                {"endpoint", url + "/hooks/oracle"},
                {"secret", oracle::webhook_secret()},
                {"batch_size", 25}};
  };
  p.fields = {{"fn", "name"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"}, {"note", "note"}, {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

/// The webhook's own rows: a 2xx delivers the batch whatever the body; 408, 504 and a 503's
/// Retry-After are the receiver's to send; a 401 is a bad signature.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string w = "webhook";
  return {
    {"malformed JSON 200", w,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "{\"received\":"}}},
     finishes(0, 5)},
    {"408 then 504", w,
     {{{"nth", 2}, {"status", 408}}, {{"nth", 3}, {"status", 504}}}, finishes(20, 7)},
    fault_row{"503 with Retry-After", w,
              {{{"nth", 2}, {"status", 503}, {"headers", retry_after_1}}}, finishes(10, 6)}
        .waits(1000),
    fault_row{"401 mid-run", w,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", {{"error", "invalid signature"}}}}},
              stops(20, 0, 3)}
        .says("401"),
    fault_row{"deletes: 401 mid-run", w,
              {{{"nth", 2}, {"count", 100}, {"status", 401}}}, deletes_stop(10, 2)}
        .deleting(deletes).says("401"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "webhook";
  f.api_path = "/hooks/";
  f.delete_mode = "mirror";
  f.counts_replays = true;  // the webhook-id makes a batch seen again harmless, and counted
  f.server_error_body = {{"error", "unavailable"}};
  f.sync = [](const contacts_model& model, const std::string& base) {
    return webhook_sync(model, base + "/hooks/backflow",
                        "whsec_" + base64_encode("emulator-secret"));
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false)) {
        auto& h = out[r["key"].get<std::string>()];
        h.created += r["upserts"].get<int>();
        auto score = r["fields"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace webhook_parts

test_destination webhook_tests() {
  return {"webhook", webhook_parts::conformance(), {webhook_parts::oracle_profile()},
          webhook_parts::fault_view()};
}

}  // namespace backflow::testing
