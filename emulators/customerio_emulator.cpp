// The Customer.io Track API v2 emulator (see customerio_emulator.hpp, docs/connectors/customerio.md).
#include "emulators/customerio_emulator.hpp"

#include "emulators/emulator_util.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t max_request_bytes = 500 * 1024;
constexpr std::size_t max_action_bytes = 32 * 1024;
constexpr std::size_t cio_max_attributes = 300;
constexpr std::size_t max_name_bytes = 150;
constexpr std::size_t max_value_bytes = 1000;

void cio_fail(api_response& out, int status, const std::string& message) {
  out.status = status;
  out.body = nlohmann::json{{"meta", {{"error", message}}}}.dump();
}

nlohmann::json cio_error(const std::string& reason, const std::string& field,
                     const std::string& message) {
  return {{"reason", reason}, {"field", field}, {"message", message}};
}

/// The identifier an action names: {"id", "42"}; empty when it names none usable.
std::pair<std::string, std::string> cio_identifier_of(const nlohmann::json& action) {
  auto ids = action.find("identifiers");
  if (ids == action.end() || !ids->is_object())
    return {};
  for (const char* kind : {"id", "email", "cio_id"})
    if (auto v = ids->find(kind); v != ids->end() && v->is_string() && !v->empty())
      return {kind, v->get<std::string>()};
  return {};
}

}  // namespace

customerio_emulator::customerio_emulator(std::string site_id, std::string api_key)
    : authorization_("Basic " + base64_encode(site_id + ":" + api_key)) {}

emulator_type customerio_emulator::type() {
  emulator_type t;
  t.name = "customerio";
  t.summary = "Customer.io Track API v2: batch identify and delete of people";
  t.destinations = {"customerio"};
  t.options = {{"--site-id", "S", "the site id to accept (default emulator-site)"},
               {"--api-key", "K", "the Track API key to accept (default emulator-key)"}};
  t.own_limits = {{"per_second", "requests per rolling second; 0 = unlimited"}};
  t.initial.per_second = 100;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(std::make_unique<customerio_emulator>(
        s.value("--site-id", "emulator-site"), s.value("--api-key", "emulator-key")));
  };
  return t;
}

void customerio_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = req.method + " " + req.path;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  auto batch = body.is_object() ? body.find("batch") : body.end();
  out.inputs = body.is_object() && batch != body.end() && batch->is_array() ? batch->size() : 0;
}

api_response customerio_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  if (req.path != "/api/v2/batch") {
    cio_fail(out, 404, "not found");
    return out;
  }
  if (req.method != "POST") {
    cio_fail(out, 405, "method not allowed");
    return out;
  }
  {
    std::lock_guard lock(rate_mutex_);
    if (!per_second_.try_admit(rate_window::clock::now(), current.per_second)) {
      cio_fail(out, 429, "rate limit exceeded");
      return out;
    }
  }
  if (!constant_time_equal(req.get_header_value("Authorization"), authorization_)) {
    cio_fail(out, 401, "unauthorized: check the site id and API key");
    return out;
  }
  if (req.body.size() >= max_request_bytes) {
    cio_fail(out, 413, "request body must be smaller than 500kb");
    return out;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  auto batch = body.is_object() ? body.find("batch") : body.end();
  if (batch == body.end() || !batch->is_array()) {
    cio_fail(out, 400, "the body must be an object with a batch array");
    return out;
  }
  std::lock_guard lock(mutex_);
  nlohmann::json errors = nlohmann::json::array();
  for (std::size_t i = 0; i < batch->size(); ++i) {
    auto problem = problem_of((*batch)[i]);
    if (problem.is_null()) {
      apply((*batch)[i]);
      continue;
    }
    problem["batch_index"] = i;
    errors.push_back(std::move(problem));
  }
  out.status = errors.empty() ? 200 : 207;
  out.body = errors.empty() ? "{}" : nlohmann::json{{"errors", errors}}.dump();
  return out;
}

nlohmann::json customerio_emulator::problem_of(const nlohmann::json& action) const {
  if (!action.is_object())
    return cio_error("invalid", "", "each batch entry must be an object");
  if (action.dump().size() > max_action_bytes)
    return cio_error("too_large", "", "each request in a batch must be 32kb or smaller");
  if (action.value("type", nlohmann::json()) != "person")
    return cio_error("invalid", "type", "this emulator knows type person only");
  const auto verb = action.value("action", nlohmann::json());
  if (verb != "identify" && verb != "delete")
    return cio_error("invalid", "action", "this emulator knows actions identify and delete only");
  if (cio_identifier_of(action).first.empty())
    return cio_error("required", "identifiers", "an id, email or cio_id identifier is required");
  if (verb == "delete")
    return nullptr;
  auto attributes = action.find("attributes");
  if (attributes == action.end())
    return nullptr;
  if (!attributes->is_object())
    return cio_error("invalid", "attributes", "attributes must be an object");
  if (attributes->size() > cio_max_attributes)
    return cio_error("invalid", "attributes", "cannot identify more than 300 attributes in one request");
  for (const auto& [name, value] : attributes->items()) {
    if (name.size() > max_name_bytes)
      return cio_error("invalid", "attributes", "attribute name cannot be longer than 150 bytes");
    if (scalar_text(value).size() > max_value_bytes)
      return cio_error("invalid", "attributes." + name,
                   "value for attribute '" + name + "' cannot be longer than 1000 bytes");
    for (const auto& rule : rules_)
      if (name == rule.field && scalar_text(value).find(rule.contains) != std::string::npos)
        return cio_error("invalid", "attributes." + name, "invalid value for attribute '" + name + "'");
  }
  return nullptr;
}

void customerio_emulator::apply(const nlohmann::json& action) {
  auto [kind, value] = cio_identifier_of(action);
  auto& p = people_[value];
  if (action["action"] == "delete") {
    p.deleted = true;
    p.attributes = nlohmann::json::object();
    if (p.creations == 0)
      people_.erase(value);  // deleting someone unknown changes nothing
    return;
  }
  if (p.creations == 0 || p.deleted)
    p = person{kind, nlohmann::json::object(), false, p.creations + 1, 0};
  ++p.updates;
  auto attributes = action.find("attributes");
  if (attributes == action.end())
    return;
  for (const auto& [name, v] : attributes->items()) {
    if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()))
      p.attributes.erase(name);  // an empty value removes the attribute
    else
      p.attributes[name] = v;
  }
}

nlohmann::json customerio_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [value, p] : people_)
    list.push_back({{"identifier", p.identifier},
                    {"value", value},
                    {"attributes", p.attributes},
                    {"deleted", p.deleted},
                    {"creations", p.creations},
                    {"updates", p.updates}});
  return {{"records", list}};
}

void customerio_emulator::reset() {
  {
    std::lock_guard lock(rate_mutex_);
    per_second_.clear();
  }
  std::lock_guard lock(mutex_);
  people_.clear();
  rules_.clear();
}

bool customerio_emulator::control(const std::string& name, const httplib::Request& req,
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
