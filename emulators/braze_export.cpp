// The Braze emulator's reads and edits for drift checks: `POST /users/export/ids` by external
// ids, and edits made "in Braze" behind the client's back (PATCH /__emulator/records).
#include <algorithm>
#include <array>

#include "emulators/braze_emulator.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t braze_max_export_ids = 50;

/// Standard profile attributes exported under their own names; every other attribute a user
/// holds is a custom attribute, exported inside `custom_attributes`.
constexpr std::array<const char*, 12> braze_profile_fields = {
    "first_name", "last_name", "email", "phone", "country", "language", "home_city", "dob",
    "gender", "time_zone", "email_subscribe", "push_subscribe"};

bool braze_profile_field(const std::string& name) {
  return std::any_of(braze_profile_fields.begin(), braze_profile_fields.end(),
                     [&](const char* f) { return name == f; });
}

void braze_refuse(api_response& out, const std::string& message) {
  out.status = 400;
  out.body = nlohmann::json{{"message", message}}.dump();
}

}  // namespace

void braze_emulator::export_ids(const nlohmann::json& body, api_response& out) {
  auto ids = body.find("external_ids");
  auto wanted = body.find("fields_to_export");
  if (ids == body.end() || !ids->is_array() || ids->empty() ||
      !std::all_of(ids->begin(), ids->end(), [](const auto& v) { return v.is_string(); }))
    return braze_refuse(out, "'external_ids' must be an array of strings");
  if (ids->size() > braze_max_export_ids)
    return braze_refuse(out, "at most 50 external_ids per request");
  if (wanted == body.end() || !wanted->is_array())  // required since August 2024
    return braze_refuse(out, "'fields_to_export' must be an array of field names");
  out.inputs = ids->size();
  std::lock_guard lock(mutex_);
  nlohmann::json users = nlohmann::json::array();
  nlohmann::json invalid = nlohmann::json::array();
  for (const auto& id : *ids) {
    auto it = users_.find(id.get<std::string>());
    if (it == users_.end() || it->second.deleted) {
      invalid.push_back(id);
      continue;
    }
    nlohmann::json u = nlohmann::json::object();
    nlohmann::json custom = nlohmann::json::object();
    for (const auto& [name, value] : it->second.attributes.items())
      if (!braze_profile_field(name))
        custom[name] = value;
    for (const auto& f : *wanted) {
      const auto name = f.is_string() ? f.get<std::string>() : std::string();
      if (name == "external_id")
        u["external_id"] = id;
      else if (name == "custom_attributes" && !custom.empty())
        u["custom_attributes"] = custom;
      else if (braze_profile_field(name) && it->second.attributes.contains(name))
        u[name] = it->second.attributes[name];
    }
    users.push_back(std::move(u));
  }
  out.status = 200;
  nlohmann::json answer = {{"message", "success"}, {"users", std::move(users)}};
  if (!invalid.empty())
    answer["invalid_user_ids"] = std::move(invalid);
  out.body = answer.dump();
}

int braze_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  const auto set = edit.value("set", nlohmann::json::object());
  if (!match.is_object() || match.size() != 1 || match.begin().key() != "external_id" ||
      !match.begin()->is_string() || !set.is_object()) {
    error = R"(expected {"match":{"external_id":"..."},"set":{"<attribute>":value}} or "delete":true)";
    return 400;
  }
  std::lock_guard lock(mutex_);
  auto it = users_.find(match.begin()->get<std::string>());
  if (it == users_.end() || it->second.deleted)
    return 404;
  if (edit.value("delete", false)) {
    it->second.deleted = true;
    return 200;
  }
  for (const auto& [name, value] : set.items()) {
    if (value.is_null())
      it->second.attributes.erase(name);  // as /users/track: null removes the attribute
    else
      it->second.attributes[name] = value;
  }
  return 200;
}

}  // namespace backflow::emulators
