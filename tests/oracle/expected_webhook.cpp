// What a webhook receiver must hold, from docs/connectors/webhook.md (generic webhook) and the
// README: one record per key (trimmed, lowercased when it looks like an email; composite keys as
// their parts with `\` → `\\` and `|` → `\|`, joined with `|`), its `fields` exactly the mapped
// values as JSON (an upsert replaces them all): NULL is null, "" is "", numbers are numbers.
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle {
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

}  // namespace backflow::oracle
