// Edits made "in HubSpot" behind the client's back, for drift checks (PATCH /__emulator/records).
#include "emulators/emulator_util.hpp"
#include "emulators/hubspot_emulator.hpp"

namespace backflow::emulators {

bool hubspot_store::edit(const std::string& object, const std::string& id_property,
                         const std::string& key, const std::map<std::string, std::string>& props,
                         bool archive_it) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    auto t = tables_.find(object);
    if (t == tables_.end())
      return false;
    auto* r = lookup(t->second, id_property, key);
    if (r == nullptr)
      return false;
    if (!archive_it) {
      write_properties(t->second, *r, props);
      r->updated_ms = now_ms();
      return true;
    }
    id = r->id;
  }
  write_input in;
  in.key = std::to_string(id);
  archive(object, {in});  // takes the lock itself
  return true;
}

int hubspot_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  auto object = edit.value("object", std::string("contacts"));
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  if (!store_.has_object(canonical(object)) || !match.is_object() || match.size() != 1 ||
      !match.begin()->is_string()) {
    error = R"(expected {"object":"contacts","match":{"email":"..."},"set":{...}} or "delete":true)";
    return 400;
  }
  object = canonical(object);
  std::string id_property = match.begin().key() == "id" ? "" : match.begin().key();
  std::string key = match.begin()->get<std::string>();
  if (object == "contacts" && id_property == "email")
    key = to_lower(key);
  std::map<std::string, std::string> props;
  const auto set = edit.value("set", nlohmann::json::object());
  for (const auto& [name, value] : set.items()) {
    if (value.is_string())
      props[name] = value.get<std::string>();
    else if (value.is_null())
      props[name] = "";  // HubSpot clears a property set to nothing
    else
      props[name] = value.dump();
  }
  return store_.edit(object, id_property, key, props, edit.value("delete", false)) ? 200 : 404;
}

}  // namespace backflow::emulators
