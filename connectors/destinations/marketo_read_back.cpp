// Marketo drift checks: the current fields of synced leads, by a leads query on the lookup
// field with the keys as filterValues (docs/connectors/marketo.md, "Reading back").
#include <unordered_map>

#include "connectors/destinations/marketo.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// Get Leads by Filter Type takes up to 300 filterValues.
constexpr size_t mk_filter_values = 300;

/// filterValues is comma-separated: a key holding a comma cannot be asked for.
bool mk_listable(const std::string& key) {
  return !key.empty() && key.find(',') == std::string::npos;
}

std::string mk_form(std::string_view text) {
  return percent_encoded(text, true, false);
}

}  // namespace

size_t marketo_destination::read_back_size() const {
  return list_id_.empty() ? mk_filter_values : 0;  // audience mode: membership, not fields
}

std::optional<http_request> marketo_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const {
  std::string values;
  for (const auto& r : records)
    if (mk_listable(r.key))
      values += (values.empty() ? "" : ",") + r.key;
  if (values.empty())
    return std::nullopt;
  std::string names = "id," + lookup_field_;
  for (const auto& f : fields)
    if (f != lookup_field_ && f != "id")
      names += "," + f;
  // 300 values exceed a URL's comfortable length: Marketo's POST with _method=GET, as a form.
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/rest/v1/leads.json") + "?_method=GET";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "filterType=" + mk_form(lookup_field_) + "&filterValues=" + mk_form(values) +
             "&fields=" + mk_form(names);
  return req;
}

read_back_answer marketo_destination::read_back(const std::vector<read_back_key>& records,
                                                const std::vector<std::string>& fields,
                                                const http_response& response) const {
  read_back_answer out;
  if (classify_status(response.status) != status_class::delivered) {
    out.retry = classify_status(response.status) == status_class::retryable;
    out.fatal = !out.retry;
    out.error = describe_http_failure(response);
    return out;
  }
  auto body = parse_exact_json(response.body);  // a number field past 2^53 stays exact
  if (!body.is_object() || !body.contains("success")) {
    out.retry = true;
    out.error = "Marketo answered a lead query with a body that is not a Marketo answer";
    return out;
  }
  if (!body["success"].is_boolean() || !body["success"].get<bool>()) {
    delivery_batch one;  // request_failure reads the errors; the batch only sizes a split
    one.records.resize(1);
    auto verdict = request_failure(one, body);
    out.retry = verdict.what == batch_verdict::kind::retry;
    out.fatal = !out.retry;
    out.error = verdict.reason;
    return out;
  }
  // Marketo matches emails without case; other lookup fields as given.
  auto fold = [&](const std::string& s) { return lookup_field_ == "email" ? ascii_lower(s) : s; };
  std::unordered_map<std::string, const std::string*> by_key;
  for (const auto& r : records) {
    if (mk_listable(r.key))
      by_key.emplace(fold(r.key), &r.key);
    else
      out.unchecked.push_back(r.key);
  }
  auto result = body.find("result");
  if (result == body.end() || !result->is_array())
    return out;  // no lead matched: Marketo may leave `result` out
  for (const auto& lead : *result) {
    if (!lead.is_object() || !lead.contains(lookup_field_))
      continue;
    const auto& id = lead[lookup_field_];
    auto it = by_key.find(fold(id.is_string() ? id.get<std::string>() : read_value::of_json(id).text));
    if (it == by_key.end() || out.found.count(*it->second) != 0)
      continue;  // a duplicate lead for the key: the first (lowest id) is the one compared
    read_record record;
    for (const auto& f : fields) {
      if (f == lookup_field_)
        continue;  // it found the lead
      auto v = lead.find(f);
      record[f] = v == lead.end() ? read_value{} : read_value::of_json(*v);
    }
    out.found[*it->second] = std::move(record);
  }
  return out;
}

read_back_rules marketo_destination::read_back_rules_of() const {
  read_back_rules rules;
  rules.case_insensitive = {"email"};
  return rules;
}

}  // namespace backflow
