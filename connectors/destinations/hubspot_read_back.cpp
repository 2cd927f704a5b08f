// HubSpot drift checks: the current properties of synced records, by `batch/read` on the id
// property (docs/connectors/hubspot.md, "Reading back").
#include <unordered_map>

#include "connectors/destinations/hubspot.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// HubSpot's batch read takes 100 inputs, like its writes.
constexpr size_t read_inputs = 100;

}  // namespace

size_t hubspot_destination::read_back_size() const {
  return read_inputs;
}

std::optional<http_request> hubspot_destination::build_read_back(
    const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const {
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/crm/v3/objects/" + object_ + "/batch/read");
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  nlohmann::json properties = nlohmann::json::array({id_property_});
  for (const auto& f : fields)
    if (association_fields_.count(f) == 0 && f != id_property_)
      properties.push_back(f);
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& r : records)
    inputs.push_back({{"id", id_value(r.key)}});
  req.body = nlohmann::json{{"idProperty", id_property_},
                            {"properties", std::move(properties)},
                            {"propertiesWithHistory", nlohmann::json::array()},
                            {"inputs", std::move(inputs)}}
                 .dump();
  return req;
}

read_back_answer hubspot_destination::read_back(const std::vector<read_back_key>& records,
                                                const std::vector<std::string>& fields,
                                                const http_response& response) const {
  read_back_answer out;
  auto status = classify_status(response.status);
  if (status != status_class::delivered) {  // 207 is delivered: its errors name missing ids
    out.retry = status == status_class::retryable;
    out.fatal = !out.retry;
    out.error = describe_http_failure(response);
    return out;
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto results = body.is_object() ? body.find("results") : body.end();
  if (results == body.end() || !results->is_array()) {
    out.retry = true;
    out.error = "HubSpot answered a batch read without a list of results";
    return out;
  }
  std::unordered_map<std::string, const std::string*> by_id;  // id-property value → key
  for (const auto& r : records)
    by_id.emplace(id_value(r.key), &r.key);
  for (const auto& res : *results) {
    if (!res.is_object())
      continue;
    auto archived = res.find("archived");
    auto found = res.find("properties");
    if ((archived != res.end() && archived->is_boolean() && archived->get<bool>()) ||
        found == res.end() || !found->is_object())
      continue;
    const auto& props = *found;
    auto id = props.find(id_property_);
    if (id == props.end() || !id->is_string())
      continue;
    auto it = by_id.find(id_value(id->get<std::string>()));
    if (it == by_id.end())
      continue;
    // Every property is text at HubSpot; one requested but unset comes back null or not at all.
    read_record record;
    for (const auto& f : fields) {
      if (association_fields_.count(f) != 0 || f == id_property_)
        continue;  // a link, not a property; the id property matched the record already
      auto v = props.find(f);
      record[f] = v == props.end() ? read_value{} : read_value::of_json(*v);
    }
    out.found[*it->second] = std::move(record);
  }
  return out;
}

}  // namespace backflow
