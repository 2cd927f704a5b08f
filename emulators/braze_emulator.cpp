// The Braze REST API emulator (see braze_emulator.hpp and docs/connectors/braze.md).
#include "emulators/braze_emulator.hpp"

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t braze_max_objects = 75;  // attributes, events and purchases together
constexpr std::size_t braze_max_deletes = 50;
constexpr auto track_window = std::chrono::seconds(3);
const char* const no_valid_data =
    "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";

void braze_fail(api_response& out, int status, const std::string& message,
          const nlohmann::json& errors = nullptr) {
  out.status = status;
  nlohmann::json body = {{"message", message}};
  if (!errors.is_null())
    body["errors"] = errors;
  out.body = body.dump();
}

std::size_t braze_array_size(const nlohmann::json& body, const char* field) {
  auto it = body.is_object() ? body.find(field) : body.end();
  return it != body.end() && it->is_array() ? it->size() : 0;
}

bool braze_identifier(const std::string& key) {
  return key == "external_id" || key == "user_alias" || key == "braze_id" ||
         key == "_update_existing_only";
}

}  // namespace

braze_emulator::braze_emulator(std::string api_key) : api_key_(std::move(api_key)) {}

emulator_type braze_emulator::type() {
  emulator_type t;
  t.name = "braze";
  t.summary = "Braze users: /users/track attributes by external_id, /users/delete";
  t.destinations = {"braze"};
  t.options = {{"--api-key", "K", "the REST API key to accept (default emulator-key)"}};
  t.own_limits = {{"per_3s", "/users/track requests per rolling 3 seconds; 0 = unlimited"},
                  {"max_batch", "objects per /users/track request; 0 = Braze's 75"}};
  t.initial.per_3s = 3000;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    auto key = s.value("--api-key", "emulator-key");
    return std::unique_ptr<emulator>(std::make_unique<braze_emulator>(key));
  };
  return t;
}

void braze_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = req.method + " " + req.path;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  out.inputs = req.path == "/users/delete" ? braze_array_size(body, "external_ids")
                                           : braze_array_size(body, "attributes");
}

api_response braze_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  const bool tracking = req.path == "/users/track";
  const bool exporting = req.path == "/users/export/ids";
  if (!tracking && !exporting && req.path != "/users/delete") {
    braze_fail(out, 404, "Not Found");
    return out;
  }
  if (req.method != "POST") {
    braze_fail(out, 405, "Method Not Allowed");
    return out;
  }
  if (tracking && !admit(current.per_3s, out)) {
    braze_fail(out, 429, "API rate limit exceeded");
    return out;
  }
  if (!has_bearer_token(req, api_key_)) {
    braze_fail(out, 401, "Invalid API key");
    return out;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    braze_fail(out, 400, "Invalid JSON: the request body must be a JSON object");
    return out;
  }
  if (tracking)
    track(body, current, out);
  else if (exporting)
    export_ids(body, out);
  else
    remove(body, out);
  return out;
}

bool braze_emulator::admit(std::int64_t limit, api_response& out) {
  if (limit <= 0)
    return true;
  std::lock_guard lock(rate_mutex_);
  const auto now = std::chrono::system_clock::now();
  while (!admitted_.empty() && admitted_.front() + track_window <= now)
    admitted_.pop_front();
  const bool admit = static_cast<std::int64_t>(admitted_.size()) < limit;
  if (admit)
    admitted_.push_back(now);
  // The window frees its oldest request at `reset` (rounded up to the second, as Braze sends).
  const auto reset = (admitted_.empty() ? now : admitted_.front()) + track_window;
  const auto reset_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            reset.time_since_epoch()).count();
  out.headers.emplace("X-RateLimit-Limit", std::to_string(limit));
  out.headers.emplace("X-RateLimit-Remaining",
                      std::to_string(limit - static_cast<std::int64_t>(admitted_.size())));
  out.headers.emplace("X-RateLimit-Reset", std::to_string((reset_ms + 999) / 1000));
  return admit;
}

std::string braze_emulator::problem_of(const nlohmann::json& object) const {
  if (!object.is_object())
    return "Attributes objects must be JSON objects";
  int identifiers = 0;
  for (const char* id : {"external_id", "user_alias", "braze_id"})
    identifiers += object.contains(id) ? 1 : 0;
  if (identifiers == 0)
    return "'external_id' or 'braze_id' or 'user_alias' is required";
  if (identifiers > 1)
    return "only one of 'external_id', 'braze_id' or 'user_alias' may be given";
  auto id = object.find("external_id");
  if (id == object.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return "this emulator identifies users by a non-empty string 'external_id' only";
  for (const auto& rule : rules_) {
    auto value = object.find(rule.field);
    if (value != object.end() && scalar_text(*value).find(rule.contains) != std::string::npos)
      return "Invalid value for attribute '" + rule.field + "'";
  }
  return {};
}

void braze_emulator::track(const nlohmann::json& body, const limits& current, api_response& out) {
  auto attributes = body.find("attributes");
  if (attributes != body.end() && !attributes->is_array())
    return braze_fail(out, 400, "'attributes' must be an array");
  const std::size_t cap = current.max_batch > 0 ? current.max_batch : braze_max_objects;
  const std::size_t objects =
      braze_array_size(body, "attributes") + braze_array_size(body, "events") + braze_array_size(body, "purchases");
  if (objects > cap)
    return braze_fail(out, 400, "Too many objects: at most " + std::to_string(cap) +
                              " attributes, events and purchases per request, got " +
                              std::to_string(objects));
  std::lock_guard lock(mutex_);
  nlohmann::json errors = nlohmann::json::array();
  std::vector<const nlohmann::json*> good;
  for (std::size_t i = 0; attributes != body.end() && i < attributes->size(); ++i) {
    const auto& object = (*attributes)[i];
    if (auto problem = problem_of(object); !problem.empty())
      errors.push_back({{"type", problem}, {"input_array", "attributes"}, {"index", i}});
    else
      good.push_back(&object);
  }
  if (good.empty() && braze_array_size(body, "events") + braze_array_size(body, "purchases") == 0)
    return braze_fail(out, 400, no_valid_data, errors.empty() ? nlohmann::json() : errors);
  for (const auto* object : good) {
    auto& u = users_[(*object)["external_id"].get<std::string>()];
    if (u.creations == 0 || u.deleted) {
      u = user{nlohmann::json::object(), false, u.creations + 1, 0};
    }
    ++u.updates;
    for (const auto& [key, value] : object->items()) {
      if (braze_identifier(key))
        continue;
      if (value.is_null())
        u.attributes.erase(key);  // null removes the attribute from the profile
      else
        u.attributes[key] = value;
    }
  }
  out.status = 201;
  nlohmann::json answer = {{"message", "success"}, {"attributes_processed", good.size()}};
  if (!errors.empty())
    answer["errors"] = errors;
  out.body = answer.dump();
}

void braze_emulator::remove(const nlohmann::json& body, api_response& out) {
  int kinds = 0;
  for (const char* field : {"external_ids", "user_aliases", "braze_ids"})
    kinds += body.contains(field) ? 1 : 0;
  if (kinds != 1)
    return braze_fail(out, 400, "Exactly one of external_ids, user_aliases or braze_ids is required");
  auto ids = body.find("external_ids");
  if (ids == body.end() || !ids->is_array() || ids->empty())
    return braze_fail(out, 400, "external_ids must be a non-empty array (this emulator deletes by "
                          "external id only)");
  if (ids->size() > braze_max_deletes)
    return braze_fail(out, 400, "Too many ids: at most 50 per request, got " +
                              std::to_string(ids->size()));
  for (const auto& id : *ids)
    if (!id.is_string())
      return braze_fail(out, 400, "external_ids must be strings");
  std::lock_guard lock(mutex_);
  std::int64_t deleted = 0;
  for (const auto& id : *ids) {
    auto it = users_.find(id.get<std::string>());
    if (it != users_.end() && !it->second.deleted) {
      it->second.deleted = true;
      it->second.attributes = nlohmann::json::object();
      ++deleted;
    }
  }
  out.status = 201;
  out.body = nlohmann::json{{"deleted", deleted}, {"message", "success"}}.dump();
}

nlohmann::json braze_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, u] : users_)
    list.push_back({{"external_id", id},
                    {"attributes", u.attributes},
                    {"deleted", u.deleted},
                    {"creations", u.creations},
                    {"updates", u.updates}});
  return {{"records", list}};
}

void braze_emulator::reset() {
  {
    std::lock_guard lock(rate_mutex_);
    admitted_.clear();
  }
  std::lock_guard lock(mutex_);
  users_.clear();
  rules_.clear();
}

bool braze_emulator::control(const std::string& name, const httplib::Request& req,
                             httplib::Response& res) {
  if (name != "rules")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto spec = nlohmann::json::parse(req.body, nullptr, false);
    auto rule = spec.is_object() ? spec.find("reject_if") : spec.end();
    if (rule == spec.end() || !rule->is_object() || !rule->contains("field") ||
        !(*rule)["field"].is_string() || !rule->contains("contains") ||
        !(*rule)["contains"].is_string()) {
      reply_json(res, 400,
                 {{"error", R"(expected {"reject_if":{"field":"...","contains":"..."}})"}});
      return true;
    }
    rules_.push_back({(*rule)["field"].get<std::string>(), (*rule)["contains"].get<std::string>()});
  } else if (req.method == "DELETE") {
    rules_.clear();
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rules_)
    list.push_back({{"reject_if", {{"field", r.field}, {"contains", r.contains}}}});
  reply_json(res, 200, {{"rules", list}});
  return true;
}

}  // namespace backflow::emulators
