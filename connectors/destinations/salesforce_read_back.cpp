// Salesforce drift checks: the current fields of synced records, by sObject Collections
// retrieve (`POST /composite/sobjects/{type}` with ids and fields) on the ids kept from upserts
// (docs/connectors/salesforce.md, "Reading back").
#include <unordered_map>

#include "connectors/destinations/salesforce.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// Salesforce retrieves up to 2,000 ids per request; 200 keeps answers as small as writes'.
constexpr size_t read_ids = 200;

}  // namespace

size_t salesforce_destination::read_back_size() const {
  return read_ids;
}

std::optional<http_request> salesforce_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& r : records)
    if (!r.dest_id.empty())
      ids.push_back(r.dest_id);
  if (ids.empty())
    return std::nullopt;
  nlohmann::json names = nlohmann::json::array({"Id", external_id_field_});
  for (const auto& f : fields)
    if (f != external_id_field_)
      names.push_back(f);
  http_request req;
  req.method = "POST";
  req.url = api_base_ + "/composite/sobjects/" + object_;
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  req.body = nlohmann::json{{"ids", std::move(ids)}, {"fields", std::move(names)}}.dump();
  return req;
}

read_back_answer salesforce_destination::read_back(const std::vector<read_back_key>& records,
                                                   const std::vector<std::string>& fields,
                                                   const http_response& response) const {
  read_back_answer out;
  auto status = classify_status(response.status);
  if (status != status_class::delivered) {
    auto verdict = classify_error(response, records.size());
    out.retry = verdict.what == batch_verdict::kind::retry;
    out.fatal = !out.retry;
    out.error = verdict.reason.empty() ? describe_http_failure(response) : verdict.reason;
    return out;
  }
  // Numbers stay exact: a Number(18, 0) field past 2^53 must not come back rounded.
  auto body = parse_exact_json(response.body);
  if (!body.is_array()) {
    out.retry = true;
    out.error = "Salesforce answered a collections retrieve without a list of records";
    return out;
  }
  std::unordered_map<std::string, const std::string*> by_id;  // Salesforce id → key
  for (const auto& r : records) {
    if (r.dest_id.empty())
      out.unchecked.push_back(r.key);
    else
      by_id.emplace(r.dest_id, &r.key);
  }
  // One entry per id, in request order; null for an id that is gone (deleted) or unreadable.
  for (const auto& rec : body) {
    if (!rec.is_object())
      continue;
    auto id = rec.find("Id");
    if (id == rec.end() || !id->is_string())
      continue;
    auto it = by_id.find(id->get<std::string>());
    if (it == by_id.end())
      continue;
    // Salesforce answers each field under its API name, whatever case the mapping wrote.
    std::unordered_map<std::string, const nlohmann::json*> by_name;
    for (auto it2 = rec.begin(); it2 != rec.end(); ++it2)
      by_name.emplace(ascii_lower(it2.key()), &it2.value());
    read_record record;
    for (const auto& f : fields) {
      auto v = by_name.find(ascii_lower(f));
      record[f] = v == by_name.end() ? read_value{} : read_value::of_json(*v->second);
    }
    out.found[*it->second] = std::move(record);
  }
  return out;
}

}  // namespace backflow
