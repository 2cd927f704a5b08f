// The HubSpot CRM v3 emulator (see hubspot_emulator.hpp).
#include "emulators/hubspot_emulator.hpp"

#include <algorithm>
#include <regex>

#include "emulators/emulator_util.hpp"
#include "emulators/hubspot_validation.hpp"

namespace backflow::emulators {
namespace {

constexpr const char* auth_message =
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

std::string error_body(const std::string& category, const std::string& message,
                       const nlohmann::json& errors = nlohmann::json::array()) {
  nlohmann::json body = {{"status", "error"},
                         {"message", message},
                         {"correlationId", correlation_id()},
                         {"category", category}};
  if (!errors.empty())
    body["errors"] = errors;
  return body.dump();
}

void fail(api_response& out, const batch_error& e) {
  out.status = e.status;
  out.body = error_body(e.category, e.message, e.errors);
}

/// A record as the API shows it (built member by member: braced lists would copy subtrees).
nlohmann::json record_json(const hubspot_record& r) {
  nlohmann::json out = nlohmann::json::object();
  out["id"] = std::to_string(r.id);
  out["properties"] = r.properties;
  out["createdAt"] = format_iso(r.created_ms);
  out["updatedAt"] = format_iso(r.updated_ms);
  out["archived"] = r.archived;
  return out;
}

/// HubSpot does not promise result order; answering newest id first makes clients that
/// match results by position fail in tests instead of in production.
nlohmann::json results_json(std::vector<hubspot_store::written> written, batch_kind kind) {
  std::sort(written.begin(), written.end(),
            [](const auto& a, const auto& b) { return a.record.id > b.record.id; });
  nlohmann::json results = nlohmann::json::array();
  for (const auto& w : written) {
    auto r = record_json(w.record);
    if (kind == batch_kind::upsert)
      r["new"] = w.created;
    results.push_back(std::move(r));
  }
  return results;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

emulator_type hubspot_emulator::type() {
  emulator_type t;
  t.name = "hubspot";
  t.summary = "HubSpot CRM v3 contacts, companies, deals, tickets and custom objects: batch "
              "writes and reads; v4 associations";
  t.destinations = {"hubspot"};
  t.options = {{"--token", "T", std::string("the accepted private-app token (default ") +
                                    default_token + ")"}};
  // HubSpot's Pro/Enterprise limits: 190 requests per 10 s, 1,000,000 per day.
  t.own_limits = {{"per_10s", "requests per rolling 10 s; 0 = unlimited"},
                  {"daily", "requests per day; 0 = unlimited"}};
  t.initial.per_10s = 190;
  t.initial.daily = 1'000'000;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(
        std::make_unique<hubspot_emulator>(s.value("--token", default_token)));
  };
  return t;
}

hubspot_emulator::hubspot_emulator(std::string token) : token_(std::move(token)) {}

std::string hubspot_emulator::canonical(const std::string& object) const {
  static const std::map<std::string, std::string> standard = {
      {"0-1", "contacts"}, {"contact", "contacts"}, {"0-2", "companies"}, {"company", "companies"},
      {"0-3", "deals"},    {"deal", "deals"},       {"0-5", "tickets"},   {"ticket", "tickets"}};
  if (auto it = standard.find(object); it != standard.end())
    return it->second;
  std::lock_guard lock(objects_mutex_);
  auto it = custom_ids_.find(object);
  return it == custom_ids_.end() ? object : it->second;
}

hubspot_emulator::route hubspot_emulator::parse_v4_route(const httplib::Request& req) const {
  route r;
  r.endpoint = req.method + " " + req.path;
  auto parts = split_path(req.path);
  if (req.method != "POST" || parts.size() < 7 || parts[2] != "associations" || parts[5] != "batch")
    return r;
  r.object = canonical(parts[3]);
  r.to = canonical(parts[4]);
  auto action = parts[6] + (parts.size() == 8 ? "/" + parts[7] : "");
  if (action == "associate/default" || ((action == "create" || action == "archive" ||
                                         action == "read") && parts.size() == 7)) {
    r.action = action;
    r.endpoint = "POST /crm/v4/associations/{from}/{to}/batch/" + action;
  }
  return r;
}

hubspot_emulator::route hubspot_emulator::parse_route(const httplib::Request& req) const {
  route r;
  r.endpoint = req.method + " " + req.path;
  auto parts = split_path(req.path);
  if (parts.size() >= 3 && parts[0] == "crm" && parts[1] == "v4")
    return parse_v4_route(req);
  if (parts.size() < 5 || parts[0] != "crm" || parts[1] != "v3" || parts[2] != "objects")
    return r;
  r.object = canonical(parts[3]);
  const std::string base = "/crm/v3/objects/" + parts[3];
  static const std::vector<std::string> actions = {"upsert", "update", "create", "archive",
                                                   "read"};
  if (req.method == "POST" && parts.size() == 6 && parts[4] == "batch" &&
      std::find(actions.begin(), actions.end(), parts[5]) != actions.end()) {
    r.action = parts[5];
    r.endpoint = "POST " + base + "/batch/" + r.action;
  } else if (req.method == "GET" && parts.size() == 5 && !parts[4].empty()) {
    r.action = "get";
    r.id = parts[4];
    r.endpoint = "GET " + base + "/{id}";
  }
  return r;
}

void hubspot_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto r = parse_route(req);
  out.endpoint = r.endpoint;
  out.inputs = req.method == "POST" ? count_inputs(req.body) : 0;
}

api_response hubspot_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  auto r = parse_route(req);
  out.endpoint = r.endpoint;
  if (!has_bearer_token(req, token_)) {
    out.status = 401;
    out.body = error_body("INVALID_AUTHENTICATION", auth_message);
  } else if (!admit(current, out)) {
    out.status = 429;
  } else if (r.action.empty()) {
    out.status = 404;
    out.body = error_body("OBJECT_NOT_FOUND", "No route for " + req.method + " " + req.path);
  } else if (!store_.has_object(r.object) || (!r.to.empty() && !store_.has_object(r.to))) {
    out.status = 404;
    out.body = error_body("OBJECT_NOT_FOUND", "Unable to infer object type from: " +
                                                  (store_.has_object(r.object) ? r.to : r.object));
  } else if (!r.to.empty()) {
    associations(req, r, out);
    return out;
  } else if (r.action == "get") {
    get_record(req, r, out);
    return out;
  } else if (r.action == "read") {
    read_batch(req, r, out);
    return out;
  } else {
    write_batch(req, r, out);
    return out;
  }
  describe(req, out);
  return out;
}

bool hubspot_emulator::admit(const limits& current, api_response& out) {
  const auto now = rate_window::clock::now();
  std::lock_guard lock(quota_mutex_);
  std::string policy;
  if (current.daily > 0 && daily_used_ >= current.daily)
    policy = "DAILY";
  else if (!ten_seconds_.try_admit(now, current.per_10s))
    policy = "TEN_SECONDLY_ROLLING";
  else
    ++daily_used_;
  if (current.daily > 0) {
    out.headers.emplace("X-HubSpot-RateLimit-Daily", std::to_string(current.daily));
    out.headers.emplace("X-HubSpot-RateLimit-Daily-Remaining",
                        std::to_string(std::max<std::int64_t>(0, current.daily - daily_used_)));
  }
  if (current.per_10s > 0) {
    out.headers.emplace("X-HubSpot-RateLimit-Max", std::to_string(current.per_10s));
    out.headers.emplace(
        "X-HubSpot-RateLimit-Remaining",
        std::to_string(std::max<std::int64_t>(0, current.per_10s - ten_seconds_.used(now))));
    out.headers.emplace("X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
  }
  if (policy.empty())
    return true;
  const auto limit_name = policy == "DAILY" ? "daily" : "ten_secondly_rolling";
  nlohmann::json body = {
      {"status", "error"},
      {"message", std::string("You have reached your ") + limit_name + " limit."},
      {"errorType", "RATE_LIMIT"},
      {"correlationId", correlation_id()},
      {"policyName", policy}};
  out.body = body.dump();
  return false;
}

void hubspot_emulator::write_batch(const httplib::Request& req, const route& r, api_response& out) {
  const auto started = format_iso(now_ms());
  static const std::map<std::string, batch_kind> kinds = {{"upsert", batch_kind::upsert},
                                                          {"update", batch_kind::update},
                                                          {"create", batch_kind::create},
                                                          {"archive", batch_kind::archive}};
  const auto kind = kinds.at(r.action);
  auto parsed =
      parse_batch(kind, r.object, req.body, req.get_param_value("idProperty"), *catalog(r.object));
  out.inputs = parsed.received;
  if (parsed.error)
    return fail(out, *parsed.error);
  if (kind == batch_kind::archive) {
    store_.archive(r.object, parsed.inputs);
    for (const auto& in : parsed.inputs)  // an archived record keeps no associations
      links_.forget(r.object, in.key);
    out.status = 204;
    return;
  }
  hubspot_store::outcome done;
  if (kind == batch_kind::upsert) {
    done = store_.upsert(r.object, parsed.inputs);
  } else if (kind == batch_kind::update) {
    done = store_.update(r.object, parsed.inputs);
  } else {
    std::vector<std::string> traces;
    for (const auto& in : parsed.inputs)
      traces.push_back(in.trace_id);
    std::sort(traces.begin(), traces.end());
    bool unique_traces = std::find(traces.begin(), traces.end(), "") == traces.end() &&
                         std::adjacent_find(traces.begin(), traces.end()) == traces.end();
    done = store_.create(r.object, parsed.inputs, unique_traces);
  }
  if (done.error)
    return fail(out, *done.error);
  nlohmann::json body = nlohmann::json::object();
  body["status"] = "COMPLETE";
  body["results"] = results_json(std::move(done.results), kind);
  nlohmann::json errors = nlohmann::json::array();
  if (!done.missing.empty())
    errors.push_back(
        {{"status", "error"},
         {"category", "OBJECT_NOT_FOUND"},
         {"message", "Could not get some " + object_singular(r.object) +
                         " objects, they may be deleted or not exist. Check that ids are valid."},
         {"context", {{"ids", done.missing}}}});
  for (const auto& [trace, existing] : done.conflicts)
    errors.push_back(
        {{"status", "error"},
         {"category", "CONFLICT"},
         {"message", "Contact already exists. Existing ID: " + std::to_string(existing)},
         {"context",
          {{"objectWriteTraceId", nlohmann::json::array({trace})},
           {"existingId", nlohmann::json::array({std::to_string(existing)})}}}});
  if (!errors.empty()) {
    body["numErrors"] = done.missing.size() + done.conflicts.size();
    body["errors"] = errors;
  }
  body["startedAt"] = started;
  body["completedAt"] = format_iso(now_ms());
  out.status = !errors.empty() ? 207 : kind == batch_kind::create ? 201 : 200;
  out.body = body.dump();
}

void hubspot_emulator::get_record(const httplib::Request& req, const route& r, api_response& out) {
  auto id_property = req.get_param_value("idProperty");
  auto key = r.object == "contacts" && id_property == "email" ? to_lower(r.id) : r.id;
  auto found = store_.find(r.object, id_property, key);
  if (!found) {
    out.status = 404;
    out.body = error_body("OBJECT_NOT_FOUND", "Object not found. objectId are usually numeric.");
    return;
  }
  out.body = record_json(*found).dump();
}

void hubspot_emulator::read_batch(const httplib::Request& req, const route& r, api_response& out) {
  out.inputs = count_inputs(req.body);
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  auto inputs = body.is_object() ? body.find("inputs") : body.end();
  if (inputs == body.end() || !inputs->is_array() || inputs->size() > 100) {
    out.status = 400;
    out.body = error_body("VALIDATION_ERROR", "Invalid input JSON: expected {\"inputs\":[{\"id\":...}]} "
                                              "with at most 100 inputs");
    return;
  }
  std::string id_property = body.value("idProperty", std::string());
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& in : *inputs) {
    std::string id = in.is_object() && in.contains("id") && in["id"].is_string()
                         ? in["id"].get<std::string>() : std::string();
    auto key = r.object == "contacts" && id_property == "email" ? to_lower(id) : id;
    if (auto found = store_.find(r.object, id_property, key))
      results.push_back(record_json(*found));
    else
      missing.push_back(id);
  }
  nlohmann::json reply = {{"status", "COMPLETE"}, {"results", results},
                          {"startedAt", format_iso(now_ms())}, {"completedAt", format_iso(now_ms())}};
  if (!missing.empty()) {
    reply["numErrors"] = 1;
    reply["errors"] = nlohmann::json::array(
        {{{"status", "error"},
          {"category", "OBJECT_NOT_FOUND"},
          {"message", "Could not get some " + object_singular(r.object) +
                          " objects, they may be deleted or not exist. Check that ids are valid."},
          {"context", {{"ids", missing}}}}});
  }
  out.status = missing.empty() ? 200 : 207;
  out.body = reply.dump();
}

nlohmann::json hubspot_emulator::records(const httplib::Request& req) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [object, r] : store_.snapshot(req.get_param_value("object"))) {
    auto entry = record_json(r);
    entry["object"] = object;
    entry["archivedAt"] = r.archived ? nlohmann::json(format_iso(r.archived_ms)) : nlohmann::json();
    entry["creations"] = r.creations;
    entry["writes"] = r.writes;
    list.push_back(std::move(entry));
  }
  nlohmann::json out = nlohmann::json::object();
  out["records"] = std::move(list);
  out["associations"] = links_.snapshot();
  return out;
}

void hubspot_emulator::associations(const httplib::Request& req, const route& r,
                                    api_response& out) {
  auto exists = [this](const std::string& object, const std::string& id) {
    return store_.find(object, "", id).has_value();
  };
  links_.handle(r.object, r.to, r.action, req.body, exists, out);
}

void hubspot_emulator::reset() {
  store_.clear();
  links_.clear();
  {
    std::lock_guard lock(objects_mutex_);
    custom_ids_.clear();
  }
  {
    std::lock_guard lock(quota_mutex_);
    ten_seconds_.clear();
    daily_used_ = 0;
  }
  std::lock_guard lock(catalog_mutex_);
  catalogs_.clear();
}

std::shared_ptr<const property_catalog> hubspot_emulator::catalog(const std::string& object) const {
  static const auto any = std::make_shared<const property_catalog>();
  std::lock_guard lock(catalog_mutex_);
  auto it = catalogs_.find(object);
  return it == catalogs_.end() ? any : it->second;
}

bool hubspot_emulator::control(const std::string& name, const httplib::Request& req,
                               httplib::Response& res) {
  if (name == "objects") {
    if (req.method == "POST")
      return add_object(req, res), true;
    std::lock_guard lock(objects_mutex_);
    reply_json(res, 200, custom_ids_);
    return true;
  }
  if (name != "properties")
    return false;
  if (req.method == "POST")
    return set_catalog(req, res), true;
  std::lock_guard lock(catalog_mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [object, c] : catalogs_)
    out[object] = {{"names", c->names ? nlohmann::json(*c->names) : nlohmann::json()},
                   {"numbers", c->numbers}};
  reply_json(res, 200, out);
  return true;
}

void hubspot_emulator::set_catalog(const httplib::Request& req, httplib::Response& res) {
  auto spec = nlohmann::json::parse(req.body, nullptr, false);
  auto strings = [](const nlohmann::json& list) {
    return list.is_array() &&
           std::all_of(list.begin(), list.end(), [](const auto& v) { return v.is_string(); });
  };
  if (!spec.is_object() || !spec.contains("object") || !spec["object"].is_string() ||
      !store_.has_object(spec["object"].get<std::string>()) ||
      (spec.contains("names") && !spec["names"].is_null() && !strings(spec["names"])) ||
      (spec.contains("numbers") && !strings(spec["numbers"])) ||
      (spec.contains("unique") && !strings(spec["unique"]))) {
    reply_json(
        res, 400,
        {{"error",
          R"(expected {"object":"contacts"|"companies"|...,"names":[...]|null,"numbers":[...],"unique":[...]})"}});
    return;
  }
  property_catalog c;
  if (spec.contains("names") && !spec["names"].is_null())
    c.names = spec["names"].get<std::set<std::string>>();
  if (spec.contains("numbers"))
    c.numbers = spec["numbers"].get<std::set<std::string>>();
  if (spec.contains("unique"))
    c.unique = spec["unique"].get<std::set<std::string>>();
  const auto object = spec["object"].get<std::string>();
  std::lock_guard lock(catalog_mutex_);
  catalogs_[object] = std::make_shared<const property_catalog>(std::move(c));
  reply_json(res, 200, {{"object", object}, {"restricted", catalogs_[object]->names.has_value()}});
}

void hubspot_emulator::add_object(const httplib::Request& req, httplib::Response& res) {
  auto spec = nlohmann::json::parse(req.body, nullptr, false);
  static const std::regex name_shape(R"(p[0-9]*_[a-z][a-z0-9_]*)");
  static const std::regex id_shape(R"(2-[0-9]{1,18})");
  if (!spec.is_object() || !spec.value("name", nlohmann::json()).is_string() ||
      !spec.value("object_type_id", nlohmann::json()).is_string() ||
      !std::regex_match(spec["name"].get<std::string>(), name_shape) ||
      !std::regex_match(spec["object_type_id"].get<std::string>(), id_shape)) {
    reply_json(res, 400, {{"error", R"(expected {"name":"p_machines","object_type_id":"2-12345"})"}});
    return;
  }
  const auto name = spec["name"].get<std::string>();
  store_.add_object(name);
  std::lock_guard lock(objects_mutex_);
  custom_ids_[spec["object_type_id"].get<std::string>()] = name;
  reply_json(res, 200, {{"name", name}, {"object_type_id", spec["object_type_id"]}});
}

}  // namespace backflow::emulators
