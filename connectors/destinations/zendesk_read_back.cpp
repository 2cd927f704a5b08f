// Zendesk drift checks: the current values of synced users or organizations, by `show_many`
// on their external ids (docs/connectors/zendesk.md, "Reading back").
#include <unordered_map>

#include "connectors/destinations/zendesk.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// show_many takes a comma-separated list of up to 100 ids or external ids.
constexpr size_t zd_read_ids = 100;

/// A key holding a comma cannot be named in show_many's list: it is left unchecked.
bool zd_listable(const std::string& key) {
  return !key.empty() && key.find(',') == std::string::npos;
}

/// The value of mapped field `field` in a user or organization object: `user_fields.NAME` and
/// `organization_fields.NAME` inside their objects, anything else a standard property.
read_value zd_field(const nlohmann::json& record, const std::string& field) {
  for (const char* nested : {"user_fields", "organization_fields"}) {
    const std::string prefix = std::string(nested) + ".";
    if (field.rfind(prefix, 0) != 0)
      continue;
    auto object = record.find(nested);
    if (object == record.end() || !object->is_object())
      return {};
    auto v = object->find(field.substr(prefix.size()));
    return v == object->end() ? read_value{} : read_value::of_json(*v);
  }
  auto v = record.find(field);
  return v == record.end() ? read_value{} : read_value::of_json(*v);
}

}  // namespace

size_t zendesk_destination::read_back_size() const {
  return zd_read_ids;
}

std::optional<http_request> zendesk_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>&) const {
  std::string ids;
  for (const auto& r : records)
    if (zd_listable(r.key))
      ids += (ids.empty() ? "" : ",") + percent_encoded(r.key, true, false);
  if (ids.empty())
    return std::nullopt;
  return request("GET", std::string("/") + object() + "/show_many.json?external_ids=" + ids);
}

read_back_answer zendesk_destination::read_back(const std::vector<read_back_key>& records,
                                                const std::vector<std::string>& fields,
                                                const http_response& response) const {
  read_back_answer out;
  if (classify_status(response.status) != status_class::delivered) {
    auto verdict = classify_error(response, records.size());
    out.retry = verdict.what == batch_verdict::kind::retry;
    out.fatal = !out.retry;
    out.error = verdict.reason.empty() ? describe_http_failure(response) : verdict.reason;
    return out;
  }
  auto body = parse_exact_json(response.body);  // an integer custom field past 2^53 stays exact
  auto list = body.is_object() ? body.find(object()) : body.end();
  if (list == body.end() || !list->is_array()) {
    out.retry = true;
    out.error = std::string("Zendesk answered show_many without a list of ") + object();
    return out;
  }
  // Zendesk treats external ids case-insensitively ("ian1" and "IAN1" are the same user).
  std::unordered_map<std::string, const std::string*> by_id;
  for (const auto& r : records) {
    if (zd_listable(r.key))
      by_id.emplace(ascii_lower(r.key), &r.key);
    else
      out.unchecked.push_back(r.key);
  }
  for (const auto& rec : *list) {
    if (!rec.is_object())
      continue;
    auto active = rec.find("active");  // false: deleted (show_many leaves those out anyway)
    if (active != rec.end() && active->is_boolean() && !active->get<bool>())
      continue;
    auto it = by_id.find(ascii_lower(json_text(rec, "external_id")));
    if (it == by_id.end())
      continue;
    read_record record;
    for (const auto& f : fields)
      record[f] = zd_field(rec, f);
    out.found[*it->second] = std::move(record);
  }
  return out;
}

read_back_rules zendesk_destination::read_back_rules_of() const {
  read_back_rules rules;
  rules.case_insensitive = {"email"};
  return rules;
}

}  // namespace backflow
