// The Zendesk emulator's reads and edits for drift checks: `GET /api/v2/users/show_many` and
// `GET /api/v2/organizations/show_many` by external ids, and edits made "in Zendesk" behind the
// client's back (PATCH /__emulator/records).
#include "emulators/emulator_util.hpp"
#include "emulators/zendesk_emulator.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t zd_show_many_max = 100;

/// A record as Zendesk shows it: its fields, id, external_id, and `active` (false once deleted).
nlohmann::json zd_shown(const nlohmann::json& fields, std::int64_t id, const std::string& ext) {
  auto shown = fields;
  shown["id"] = id;
  shown["external_id"] = ext;
  shown["active"] = true;
  return shown;
}

/// Writes `set` into stored fields: `user_fields.X` / `organization_fields.X` into their object.
void zd_write(nlohmann::json& fields, const nlohmann::json& set) {
  for (const auto& [name, value] : set.items()) {
    bool nested = false;
    for (const char* object : {"user_fields", "organization_fields"}) {
      const std::string prefix = std::string(object) + ".";
      if (name.rfind(prefix, 0) == 0) {
        fields[object][name.substr(prefix.size())] = value;
        nested = true;
      }
    }
    if (!nested)
      fields[name] = value;
  }
}

}  // namespace

void zendesk_emulator::show_many(const httplib::Request& req, bool organizations,
                                 api_response& out) {
  auto ids = split_zd_ids(req.get_param_value("external_ids"));
  if (ids.empty()) {
    out.status = 400;
    out.body = R"({"error":"InvalidValue","description":"external_ids (or ids) is required"})";
    return;
  }
  if (ids.size() > zd_show_many_max) {
    out.status = 400;
    out.body = R"({"error":"TooManyValues","description":"at most 100 ids per request"})";
    return;
  }
  out.inputs = ids.size();
  std::lock_guard lock(mutex_);
  run_due(clock::now());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& ext : ids) {  // deleted records are left out (no include_deleted)
    if (organizations) {
      auto it = organizations_.find(to_lower(ext));
      if (it != organizations_.end() && !it->second.deleted)
        list.push_back(zd_shown(it->second.fields, it->second.id, it->second.external_id));
    } else if (auto it = users_.find(ext); it != users_.end() && !it->second.deleted) {
      list.push_back(zd_shown(it->second.fields, it->second.id, it->second.external_id));
    }
  }
  out.status = 200;
  const auto count = list.size();
  out.body = nlohmann::json{{organizations ? "organizations" : "users", std::move(list)},
                            {"next_page", nullptr}, {"previous_page", nullptr},
                            {"count", count}}
                 .dump();
}

int zendesk_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  const auto object = edit.value("object", std::string("users"));
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  if ((object != "users" && object != "organizations") || !match.is_object() ||
      match.size() != 1 || match.begin().key() != "external_id" || !match.begin()->is_string() ||
      (edit.contains("set") && !edit["set"].is_object())) {
    error = R"(expected {"object":"users"|"organizations","match":{"external_id":"..."},)"
            R"("set":{...}} or "delete":true)";
    return 400;
  }
  const auto ext = match.begin()->get<std::string>();
  const bool remove = edit.value("delete", false);
  const auto set = edit.value("set", nlohmann::json::object());
  std::lock_guard lock(mutex_);
  run_due(clock::now());
  auto apply = [&](auto& record) {
    if (record.deleted)
      return 404;
    if (remove)
      record.deleted = true;
    else
      zd_write(record.fields, set);
    return 200;
  };
  if (object == "organizations") {
    auto it = organizations_.find(to_lower(ext));
    return it == organizations_.end() ? 404 : apply(it->second);
  }
  auto it = users_.find(ext);
  return it == users_.end() ? 404 : apply(it->second);
}

}  // namespace backflow::emulators
