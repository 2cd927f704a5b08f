// Intercom drift checks: the current attributes of synced contacts, by `POST /contacts/search`
// with the keys in one IN filter (docs/connectors/intercom.md, "Reading back").
#include <unordered_map>

#include "connectors/destinations/intercom.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// Intercom's IN takes at most 15 values; a page of 150 then always holds every match.
constexpr size_t ic_in_values = 15;
constexpr int ic_per_page = 150;

}  // namespace

size_t intercom_destination::read_back_size() const {
  return s_.object == "contacts" ? ic_in_values : 0;  // companies: no search by company_id list
}

std::optional<http_request> intercom_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>&) const {
  nlohmann::json values = nlohmann::json::array();
  for (const auto& r : records)
    if (!r.key.empty())  // Intercom refuses empty strings as search values
      values.push_back(r.key);
  if (values.empty() || s_.object != "contacts")
    return std::nullopt;
  nlohmann::json query = {{"field", s_.match_by}, {"operator", "IN"}, {"value", std::move(values)}};
  nlohmann::json body = {{"query", std::move(query)}, {"pagination", {{"per_page", ic_per_page}}}};
  return s_.request("POST", "/contacts/search", body.dump());
}

read_back_answer intercom_destination::read_back(const std::vector<read_back_key>& records,
                                                 const std::vector<std::string>& fields,
                                                 const http_response& response) const {
  read_back_answer out;
  if (classify_status(response.status) != status_class::delivered) {
    auto verdict = intercom_settings::failure(response);
    out.retry = verdict.what == batch_verdict::kind::retry;
    out.fatal = !out.retry;
    out.error = verdict.reason;
    return out;
  }
  auto body = parse_exact_json(response.body);  // an integer attribute past 2^53 stays exact
  auto data = body.is_object() ? body.find("data") : body.end();
  if (data == body.end() || !data->is_array()) {
    out.retry = true;
    out.error = "Intercom answered a search without a data list";
    return out;
  }
  // Intercom compares emails without regard to case; external ids exactly.
  const bool by_email = s_.match_by == "email";
  std::unordered_map<std::string, const std::string*> by_key;
  for (const auto& r : records) {
    if (r.key.empty())
      out.unchecked.push_back(r.key);
    else
      by_key.emplace(by_email ? ascii_lower(r.key) : r.key, &r.key);
  }
  for (const auto& c : *data) {
    if (!c.is_object())
      continue;
    auto value = json_text(c, s_.match_by.c_str());
    auto it = by_key.find(by_email ? ascii_lower(value) : value);
    if (it == by_key.end())
      continue;
    auto custom = c.find("custom_attributes");
    read_record record;
    for (const auto& f : fields) {
      const nlohmann::json* from = &c;
      if (!s_.top_level(f))
        from = custom != c.end() && custom->is_object() ? &*custom : nullptr;
      auto v = from != nullptr ? from->find(f) : c.end();
      record[f] = from == nullptr || v == from->end() ? read_value{} : read_value::of_json(*v);
    }
    out.found[*it->second] = std::move(record);
    by_key.erase(it);
  }
  // More pages than one (never with 15 values a page of 150): the keys not seen are not known
  // missing, only unread.
  auto pages = body.find("pages");
  if (pages != body.end() && pages->is_object() && pages->contains("next"))
    for (const auto& [k, key] : by_key)
      out.unchecked.push_back(*key);
  return out;
}

read_back_rules intercom_destination::read_back_rules_of() const {
  read_back_rules rules;
  rules.case_insensitive = {"email"};
  return rules;
}

}  // namespace backflow
