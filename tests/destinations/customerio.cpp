// Customer.io under test: what the conformance suite, the oracle and the fault matrix know of it.
// The oracle's expectation comes from docs/connectors/customerio.md (Track API v2 batch identify
// and delete) and the README, never from the connector: one person per key (identified by `id`:
// trimmed, lowercased when it looks like an email; composite keys as their parts with `\` →
// `\\` and `|` → `\|`, joined with `|`), each mapped attribute as sent: text as text, numbers
// as numbers; NULL and "" both mean no attribute (an empty value removes it). Attributes merge:
// one no longer mapped stays, so other attributes are not checked.
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::customerio_contract {
namespace {

want customerio_attribute(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null || (value.type == cell::kind::text && value.text.empty()))
    return want::empty();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

}  // namespace

expected_state expected_customerio(const model_view& model) {
  return records_by_key(model, customerio_attribute);
}

held_state held_customerio(testing::emulator_process& emulator) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    held_record h;
    h.fields = r["attributes"];
    h.live = !r["deleted"].get<bool>();
    out.by_key[r["value"].get<std::string>()].push_back(std::move(h));
  }
  return out;
}

std::vector<sent_value> sent_customerio(const nlohmann::json& request) {
  std::vector<sent_value> out;
  auto body = parse_exact(request.value("body", ""));
  if (!body.is_object() || !body.contains("batch") || !body["batch"].is_array())
    return out;
  for (const auto& action : body["batch"]) {
    if (!action.is_object() || !action.contains("attributes") ||
        !action["attributes"].is_object() || !action.contains("identifiers") ||
        !action["identifiers"].is_object() || !action["identifiers"].contains("id"))
      continue;
    const auto key = action["identifiers"]["id"].get<std::string>();
    for (const auto& [name, value] : action["attributes"].items())
      out.push_back({key, name, value});
  }
  return out;
}

}  // namespace backflow::oracle::customerio_contract

namespace backflow::testing {
namespace customerio_parts {

using nlohmann::json;

/// A Customer.io sync of a contacts model: people by id (the email), score as a number.
json customerio_sync(const contacts_model& model, const std::string& endpoint,
                     const std::string& mode = "upsert") {
  return {{"name", "contacts_to_customerio"},
          {"source", model.source()},
          {"destination",
           {{"type", "customerio"},
            {"endpoint", endpoint},
            {"site_id", "emulator-site"},
            {"api_key", "emulator-key"},
            {"rate_limit", {{"per_second", 0}}}}},
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
  a.type = "customerio";
  a.emulator_args = {"--per-second", "0"};
  a.mode = "mirror";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = customerio_sync(model, emu.url(), "mirror");
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    for (auto& r : emu.records())
      if (!r["deleted"].get<bool>())
        out[r["value"].get<std::string>()] = r["attributes"];
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
  a.write_match = {{"method", "POST"}, {"path_contains", "/api/v2/batch"}};
  // Customer.io names such an action in a 207, the others applied.
  a.refuse_bad_rows = [](emulator_process& emu) {
    emu.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  };
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "customerio";
  p.emulator = "customerio";
  p.modes = {"upsert", "mirror"};
  p.api_path = "/api/v2/";
  p.composite_keys = true;
  p.implicit_mapping = true;
  p.expected = oracle::customerio_contract::expected_customerio;
  p.held = oracle::customerio_contract::held_customerio;
  p.sent = oracle::customerio_contract::sent_customerio;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "customerio"},       {"endpoint", url},
                {"site_id", "emulator-site"}, {"api_key", "emulator-key"},
                {"batch_size", 25},           {"rate_limit", {{"per_second", 0}}}};
  };
  p.emulator_options = {"--per-second", "0"};
  p.fields = {{"fn", "first_name"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"},     {"note", "note"},   {"notes", "notes"},
              {"score_text", "score_text"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json customerio_error(const std::string& message) {
  return {{"meta", {{"error", message}}}};
}

/// Customer.io's own rows: 207 answers (an error naming an index outside the batch, errors
/// without an index), a 413 for a batch over 500 KB (split), 401 with its meta error.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string c = "customerio";
  return {
    // The 2nd batch's 4th action (user23) named in the 207: only it is rejected.
    {"207 with one index failing", c,
     {{{"nth", 2}, {"status", 207}, {"apply", true},
       {"body", json::parse(R"({"errors":[{"batch_index":3,"reason":"invalid",)"
                            R"("field":"attributes.tier","message":"invalid value"}]})")}}},
     finishes_rejecting(1, 5)},
    {"207 whose error names no action of the batch", c,
     {{{"nth", 2}, {"status", 207}, {"apply", true},
       {"body", json::parse(R"({"errors":[{"batch_index":10,"reason":"invalid","field":"x",)"
                            R"("message":"outside"},{"reason":"internal","message":"no index"}]})")}}},
     finishes(0, 5)},
    {"malformed JSON 207", c,
     {{{"nth", 2}, {"status", 207}, {"apply", true}, {"body", "{\"errors\":[{\"batch_"}}},
     finishes(10, 6)},
    // Over 500 KB: halved, both halves sent (the batch of 10 becomes two of 5).
    {"413 request too large", c,
     {{{"nth", 2}, {"status", 413},
       {"body", customerio_error("request body must be smaller than 500kb")}}},
     finishes(0, 7)},
    fault_row{"401 mid-run", c,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", customerio_error("unauthorized")}}},
              stops(20, 0, 3)}
        .says("unauthorized"),
    fault_row{"deletes: 401 mid-run", c,
              {{{"nth", 2}, {"count", 100}, {"status", 401},
                {"body", customerio_error("unauthorized")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).says("unauthorized"),
    fault_row{"deletes: 503 burst", c, {{{"nth", 2}, {"count", 2}, {"status", 503}}},
              deletes_finish(20, 5)}
        .deleting(deletes),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "customerio";
  f.emulator_args = {"--per-second", "0"};
  f.api_path = "/api/v2/";
  f.delete_mode = "mirror";
  f.server_error_body = customerio_error("internal server error");
  f.rate_limit_body = customerio_error("rate limit exceeded");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return customerio_sync(model, base);
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records())
      if (!r.value("deleted", false)) {
        auto& h = out[r["value"].get<std::string>()];
        h.created += r["creations"].get<int>();
        auto score = r["attributes"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace customerio_parts

test_destination customerio_tests() {
  return {"customerio", customerio_parts::conformance(), {customerio_parts::oracle_profile()},
          customerio_parts::fault_view()};
}

}  // namespace backflow::testing
