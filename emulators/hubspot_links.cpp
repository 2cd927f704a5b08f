// The HubSpot emulator's associations (see hubspot_links.hpp).
#include "emulators/hubspot_links.hpp"

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

std::string link_error_json(const std::string& category, const std::string& message) {
  return nlohmann::json{{"status", "error"},
                        {"message", message},
                        {"correlationId", correlation_id()},
                        {"category", category}}
      .dump();
}

/// An object reference's id ({"id": "12"} or {"id": 12}); "" when malformed.
std::string link_ref_id(const nlohmann::json& ref) {
  if (!ref.is_object() || !ref.contains("id"))
    return {};
  const auto& id = ref["id"];
  return id.is_string() ? id.get<std::string>() : id.is_number_integer() ? id.dump() : "";
}

}  // namespace

std::int64_t hubspot_links::default_type(const std::string& from, const std::string& to) {
  // HubSpot's unlabeled association types between its standard objects.
  static const std::map<std::pair<std::string, std::string>, std::int64_t> types = {
      {{"contacts", "companies"}, 279}, {{"companies", "contacts"}, 280},
      {{"deals", "companies"}, 341},    {{"companies", "deals"}, 342},
      {{"tickets", "companies"}, 339},  {{"companies", "tickets"}, 340},
      {{"contacts", "deals"}, 4},       {{"deals", "contacts"}, 3},
      {{"contacts", "tickets"}, 15},    {{"tickets", "contacts"}, 16},
      {{"deals", "tickets"}, 27},       {{"tickets", "deals"}, 28},
  };
  auto it = types.find({from, to});
  return it == types.end() ? 0 : it->second;
}

void hubspot_links::handle(const std::string& from, const std::string& to,
                           const std::string& action, const std::string& body,
                           const exists_fn& exists, api_response& out) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  auto inputs = doc.is_object() ? doc.find("inputs") : doc.end();
  if (inputs == doc.end() || !inputs->is_array() || inputs->size() > 100) {
    out.status = 400;
    out.body = link_error_json("VALIDATION_ERROR",
                          "Invalid input JSON: expected {\"inputs\":[...]} with at most 100 inputs");
    return;
  }
  out.inputs = inputs->size();
  if (action == "associate/default" || action == "create") {
    associate(from, to, *inputs, action == "create", exists, out);
  } else if (action == "archive") {
    archive(from, to, *inputs);
    out.status = 204;
  } else {
    read(from, to, *inputs, out);
  }
}

void hubspot_links::associate(const std::string& from, const std::string& to,
                              const nlohmann::json& inputs, bool with_types,
                              const exists_fn& exists, api_response& out) {
  const auto fallback = default_type(from, to);
  if (!with_types && fallback == 0) {
    out.status = 400;
    out.body = link_error_json("VALIDATION_ERROR", "There is no default association type from " + from +
                                                  " to " + to + "; create it with a type");
    return;
  }
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& in : inputs) {
    auto from_id = link_ref_id(in.value("from", nlohmann::json()));
    auto to_id = link_ref_id(in.value("to", nlohmann::json()));
    std::int64_t type = fallback;
    if (with_types) {
      auto types = in.value("types", nlohmann::json::array());
      type = types.is_array() && !types.empty() && types[0].is_object()
                 ? types[0].value("associationTypeId", std::int64_t{0}) : 0;
    }
    if (from_id.empty() || to_id.empty() || type == 0 || !exists(from, from_id) ||
        !exists(to, to_id)) {
      errors.push_back({{"status", "error"},
                        {"category", "VALIDATION_ERROR"},
                        {"message", "Could not associate " + from + " " + from_id + " with " + to +
                                        " " + to_id + ": one of them does not exist, or the "
                                        "type is missing"},
                        {"context", {{"fromObjectId", {from_id}}, {"toObjectId", {to_id}}}}});
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      links_.emplace(key({from, from_id}, {to, to_id}), type);
    }
    if (with_types)
      results.push_back({{"fromObjectTypeId", from}, {"fromObjectId", std::stoll(from_id)},
                         {"toObjectTypeId", to}, {"toObjectId", std::stoll(to_id)},
                         {"labels", nlohmann::json::array()}});
    else
      results.push_back({{"from", {{"id", from_id}}}, {"to", {{"id", to_id}}},
                         {"associationSpec",
                          {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", type}}}});
  }
  nlohmann::json reply = {{"status", "COMPLETE"}, {"results", results},
                          {"startedAt", format_iso(now_ms())}, {"completedAt", format_iso(now_ms())}};
  if (!errors.empty()) {
    reply["numErrors"] = errors.size();
    reply["errors"] = errors;
  }
  out.status = !errors.empty() ? 207 : with_types ? 201 : 200;
  out.body = reply.dump();
}

void hubspot_links::archive(const std::string& from, const std::string& to,
                            const nlohmann::json& inputs) {
  std::lock_guard lock(mutex_);
  for (const auto& in : inputs) {
    auto from_id = link_ref_id(in.value("from", nlohmann::json()));
    auto targets = in.value("to", nlohmann::json::array());
    if (targets.is_object())
      targets = nlohmann::json::array({targets});
    for (const auto& t : targets)
      links_.erase(key({from, from_id}, {to, link_ref_id(t)}));
  }
}

void hubspot_links::read(const std::string& from, const std::string& to,
                         const nlohmann::json& inputs, api_response& out) const {
  nlohmann::json results = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& in : inputs) {
    auto id = link_ref_id(in);
    nlohmann::json linked = nlohmann::json::array();
    for (const auto& [l, type] : links_) {
      const end self{from, id};
      if ((l.first == self && l.second.first == to) || (l.second == self && l.first.first == to)) {
        const auto& other = l.first == self ? l.second : l.first;
        linked.push_back({{"toObjectId", std::stoll(other.second)},
                          {"associationTypes",
                           {{{"category", "HUBSPOT_DEFINED"},
                             {"typeId", default_type(from, to)},
                             {"label", nullptr}}}}});
      }
    }
    if (!linked.empty())
      results.push_back({{"from", {{"id", id}}}, {"to", linked}});
  }
  out.body = nlohmann::json{{"status", "COMPLETE"}, {"results", results}}.dump();
}

nlohmann::json hubspot_links::snapshot() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& [l, type] : links_)
    out.push_back({{"from_object", l.first.first}, {"from_id", l.first.second},
                   {"to_object", l.second.first}, {"to_id", l.second.second}, {"type_id", type}});
  return out;
}

void hubspot_links::forget(const std::string& object, const std::string& id) {
  std::lock_guard lock(mutex_);
  const end self{object, id};
  for (auto it = links_.begin(); it != links_.end();)
    it = it->first.first == self || it->first.second == self ? links_.erase(it) : std::next(it);
}

void hubspot_links::clear() {
  std::lock_guard lock(mutex_);
  links_.clear();
}

}  // namespace backflow::emulators
