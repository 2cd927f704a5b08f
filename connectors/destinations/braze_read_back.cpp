// Braze drift checks: the current attributes of synced users, by `POST /users/export/ids` with
// their external ids (docs/connectors/braze.md, "Reading back").
#include <algorithm>
#include <array>
#include <unordered_map>

#include "connectors/destinations/braze.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// /users/export/ids takes up to 50 external_ids.
constexpr size_t braze_export_ids = 50;

/// Standard profile attributes that are also fields_to_export names; every other mapped field
/// is a custom attribute, exported inside `custom_attributes`.
constexpr std::array<const char*, 12> braze_standard = {
    "first_name", "last_name", "email",          "phone",         "country", "language",
    "home_city",  "dob",       "gender",         "time_zone",     "email_subscribe",
    "push_subscribe"};

bool braze_is_standard(const std::string& field) {
  return std::any_of(braze_standard.begin(), braze_standard.end(),
                     [&](const char* s) { return field == s; });
}

}  // namespace

size_t braze_destination::read_back_size() const {
  return braze_export_ids;
}

std::optional<http_request> braze_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& r : records)
    ids.push_back(r.key);
  nlohmann::json wanted = nlohmann::json::array({"external_id"});
  bool custom = false;
  for (const auto& f : fields) {
    if (braze_is_standard(f))
      wanted.push_back(f);
    else
      custom = true;
  }
  if (custom)
    wanted.push_back("custom_attributes");
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/users/export/ids");
  req.headers = {{"Authorization", "Bearer " + api_key_}, {"Content-Type", "application/json"}};
  req.body = nlohmann::json{{"external_ids", std::move(ids)}, {"fields_to_export", std::move(wanted)}}
                 .dump();
  return req;
}

read_back_answer braze_destination::read_back(const std::vector<read_back_key>& records,
                                              const std::vector<std::string>& fields,
                                              const http_response& response) const {
  read_back_answer out;
  auto status = classify_status(response.status);
  if (status != status_class::delivered) {
    out.retry = status == status_class::retryable;
    out.fatal = !out.retry;
    out.error = describe_http_failure(response);
    return out;
  }
  auto body = parse_exact_json(response.body);  // numbers as sent: exact past 2^53
  auto users = body.is_object() ? body.find("users") : body.end();
  if (users == body.end() || !users->is_array()) {
    out.retry = true;
    out.error = "Braze answered an export without a list of users";
    return out;
  }
  // Users Braze does not hold come back in `invalid_user_ids`; they are simply not found here.
  std::unordered_map<std::string, const std::string*> by_id;
  for (const auto& r : records)
    by_id.emplace(r.key, &r.key);
  for (const auto& u : *users) {
    if (!u.is_object())
      continue;
    auto it = by_id.find(json_text(u, "external_id"));
    if (it == by_id.end())
      continue;
    auto custom = u.find("custom_attributes");
    read_record record;
    for (const auto& f : fields) {
      const nlohmann::json* from = &u;
      if (!braze_is_standard(f))
        from = custom != u.end() && custom->is_object() ? &*custom : nullptr;
      if (from == nullptr) {
        record[f] = read_value{};
        continue;
      }
      auto v = from->find(f);
      record[f] = v == from->end() ? read_value{} : read_value::of_json(*v);
    }
    out.found[*it->second] = std::move(record);
  }
  return out;
}

read_back_rules braze_destination::read_back_rules_of() const {
  read_back_rules rules;
  rules.case_insensitive = {"email"};
  return rules;
}

}  // namespace backflow
