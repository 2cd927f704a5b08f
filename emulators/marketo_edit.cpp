// Edits made "in Marketo" behind the client's back, for drift checks (PATCH /__emulator/records).
#include "emulators/marketo_emulator.hpp"

namespace backflow::emulators {

int marketo_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  const auto set = edit.value("set", nlohmann::json::object());
  if (!match.is_object() || match.size() != 1 || match.begin()->is_null() ||
      match.begin()->is_structured() || !set.is_object() || set.contains("id")) {
    error = R"(expected {"match":{"<field>":value},"set":{"<field>":value,...}} or "delete":true)"
            R"( (the id stays))";
    return 400;
  }
  std::lock_guard lock(mutex_);
  auto ids = matching(match.begin().key(), *match.begin());
  if (ids.empty())
    return 404;
  auto& l = leads_.at(ids.front());  // the oldest lead holding the value, as a sync would take
  if (edit.value("delete", false)) {
    l.deleted = true;
    for (auto& [list, members] : lists_)
      members.erase(l.id);
    return 200;
  }
  for (const auto& [k, v] : set.items())
    l.fields[k] = v;
  index_lead(l);
  return 200;
}

}  // namespace backflow::emulators
