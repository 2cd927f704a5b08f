// Edits made "in Intercom" behind the client's back, for drift checks (PATCH /__emulator/records).
#include "emulators/intercom_emulator.hpp"

namespace backflow::emulators {

int intercom_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  const auto set = edit.value("set", nlohmann::json::object());
  const bool shape_ok =
      match.is_object() && match.size() == 1 && match.begin()->is_string() &&
      (match.begin().key() == "external_id" || match.begin().key() == "email") && set.is_object() &&
      !set.contains("external_id") && !set.contains("email") &&
      (!set.contains("custom_attributes") || set["custom_attributes"].is_object());
  if (!shape_ok) {
    error = R"(expected {"match":{"external_id" or "email":"..."},"set":{"name":...,)"
            R"("custom_attributes":{...}}} or "delete":true (external_id and email stay))";
    return 400;
  }
  std::lock_guard lock(mutex_);
  auto* c = holder(match.begin().key(), match.begin()->get<std::string>(), "");
  if (c == nullptr || c->deleted || c->archived)
    return 404;
  if (edit.value("delete", false)) {
    c->deleted = true;
    index(*c, false);  // a deleted contact's external_id and email are free again
    return 200;
  }
  for (const auto& [k, v] : set.items()) {  // as an update: custom attributes merge
    if (k == "custom_attributes")
      for (const auto& [ck, cv] : v.items())
        c->fields["custom_attributes"][ck] = cv;
    else
      c->fields[k] = v;
  }
  return 200;
}

}  // namespace backflow::emulators
