// Salesforce emulator: sObject Collections retrieve (reading records back by id), and edits
// made "in Salesforce" behind the client's back (PATCH /__emulator/records).
#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_emulator.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

/// Salesforce retrieves at most 2,000 records per request.
constexpr std::size_t max_retrieve = 2000;

/// The record's value of `field`, matched case-insensitively as Salesforce matches names.
nlohmann::json field_of(const sf_record& r, const std::string& field) {
  if (to_lower(field) == "id")
    return r.id;
  for (const auto& [name, value] : r.fields.items())
    if (to_lower(name) == to_lower(field))
      return value;
  return nullptr;
}

}  // namespace

void salesforce_emulator::retrieve(const httplib::Request& req, const sf_route& r,
                                   api_response& out) {
  std::vector<std::string> ids;
  std::vector<std::string> fields;
  if (req.method == "GET") {
    ids = split_sf_ids(req.get_param_value("ids"));
    fields = split_sf_ids(req.get_param_value("fields"));
  } else {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    auto strings = [&](const char* key, std::vector<std::string>& into) {
      auto it = body.is_object() ? body.find(key) : body.end();
      if (it == body.end() || !it->is_array())
        return false;
      for (const auto& v : *it) {
        if (!v.is_string())
          return false;
        into.push_back(v.get<std::string>());
      }
      return true;
    };
    if (!strings("ids", ids) || !strings("fields", fields)) {
      out.status = 400;
      out.body = sf_error_body("JSON_PARSER_ERROR", R"(expected {"ids":[...],"fields":[...]})");
      return;
    }
  }
  out.inputs = ids.size();
  if (ids.empty() || fields.empty() || ids.size() > max_retrieve) {
    out.status = 400;
    out.body = sf_error_body("INVALID_QUERY_PARAMETER_VALUE",
                             "ids (1 to 2000) and fields are required");
    return;
  }
  const auto rules = store_.rules(r.object);
  for (const auto& f : fields)
    if (!is_sf_name(f) || (rules.allowed && to_lower(f) != "id" &&
                           rules.allowed->count(to_lower(f)) == 0)) {
      out.status = 400;
      out.body = sf_error_body("INVALID_FIELD", "No such column '" + f + "' on entity '" +
                                                    r.object + "'");
      return;
    }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& id : ids) {
    auto found = store_.find_id(r.object, id);
    if (!found || found->deleted) {
      records.push_back(nullptr);
      continue;
    }
    nlohmann::json rec = {{"attributes",
                           {{"type", found->object},
                            {"url", "/services/data/" + r.version + "/sobjects/" +
                                        found->object + "/" + found->id}}}};
    for (const auto& f : fields)
      rec[f] = field_of(*found, f);
    records.push_back(std::move(rec));
  }
  out.body = records.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int salesforce_emulator::edit_record(const nlohmann::json& edit, std::string& error) {
  const auto& match = edit.contains("match") ? edit["match"] : nlohmann::json();
  if (!edit.contains("object") || !edit["object"].is_string() || !match.is_object() ||
      match.size() != 1 || !match.begin()->is_string()) {
    error = R"(expected {"object":"Contact","match":{"Ext__c":"..."},"set":{...}} or "delete":true)";
    return 400;
  }
  const auto object = edit["object"].get<std::string>();
  const auto& field = match.begin().key();
  const auto value = match.begin()->get<std::string>();
  auto found = to_lower(field) == "id" ? store_.find_id(object, value)
                                       : store_.find(object, field, value);
  if (!found || found->deleted)
    return 404;
  sf_write_row row;
  row.key = found->id;
  const bool remove = edit.value("delete", false);
  const auto set = edit.value("set", nlohmann::json::object());
  if (!remove)
    for (const auto& [name, v] : set.items())
      row.fields.emplace_back(name, v);
  std::vector<sf_write_row> rows{std::move(row)};
  auto results = store_.write(remove ? "" : found->object,
                              remove ? sf_operation::remove : sf_operation::update, "", rows,
                              false);
  if (!results.empty() && results.front().error) {
    error = results.front().error->code + ": " + results.front().error->message;
    return 400;
  }
  return 200;
}

}  // namespace backflow::emulators
