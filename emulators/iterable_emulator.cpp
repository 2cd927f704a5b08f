// The Iterable API emulator (see iterable_emulator.hpp and docs/connectors/iterable.md).
#include "emulators/iterable_emulator.hpp"

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t it_max_body = 4 * 1024 * 1024;  // "Max size of request body: 4MB"
const char* const it_default_key = "emulator-key";
const char* const it_lists[] = {"conflict", "forgotten", "invalidData", "invalid", "notFound"};

void it_error(api_response& out, int status, const std::string& code, const std::string& msg) {
  out.status = status;
  out.body = nlohmann::json{{"msg", msg}, {"code", code}, {"params", nullptr}}.dump();
}

/// The `field` array of a request body: bulkUpdate's users, a list request's subscribers.
const nlohmann::json* it_items(const nlohmann::json& body, const char* field) {
  auto it = body.is_object() ? body.find(field) : body.end();
  return it != body.end() && it->is_array() ? &*it : nullptr;
}

/// `object[key]` when it is a boolean; false otherwise (a string "true" is not one).
bool it_flag(const nlohmann::json& object, const char* key) {
  auto it = object.is_object() ? object.find(key) : object.end();
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

/// The emulator's reading of a well-formed address: one '@', a local part of 1-64 and a domain
/// of dot-separated labels, printable ASCII without spaces, 254 characters at most.
bool it_valid_email(const std::string& e) {
  auto at = e.find('@');
  if (e.empty() || e.size() > 254 || at == std::string::npos || at == 0 || at > 64 ||
      e.find('@', at + 1) != std::string::npos)
    return false;
  for (unsigned char c : e)
    if (c <= ' ' || c >= 0x7f)
      return false;
  auto domain = e.substr(at + 1);
  return domain.find('.') != std::string::npos && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string::npos;
}

/// Iterable's malformed userIds: empty, non-ASCII or non-printable characters, a trailing space.
bool it_valid_user_id(const std::string& id) {
  if (id.empty() || id.back() == ' ')
    return false;
  for (unsigned char c : id)
    if (c < ' ' || c >= 0x7f)
      return false;
  return true;
}

}  // namespace

iterable_emulator::iterable_emulator(std::string api_key) : api_key_(std::move(api_key)) {}

emulator_type iterable_emulator::type() {
  emulator_type t;
  t.name = "iterable";
  t.summary = "Iterable users: /api/users/bulkUpdate, DELETE /api/users/{email}, "
              "/api/lists/subscribe and unsubscribe";
  t.destinations = {"iterable"};
  t.options = {{"--api-key", "K", std::string("the accepted API key (default ") +
                                      it_default_key + ")"}};
  t.own_limits = {{"per_second", "requests per rolling second, per endpoint; 0 = unlimited"},
                  {"max_batch", "users per request; 0 = no count, only the 4 MB body"}};
  t.initial.per_second = 5;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(
        std::make_unique<iterable_emulator>(s.value("--api-key", it_default_key)));
  };
  return t;
}

/// The user `DELETE /api/users/{email}` or `/api/users/byUserId/{userId}` names (the path is
/// decoded: an email's '/' came as %2F), or nullopt for another path.
std::optional<iterable_emulator::delete_target> iterable_emulator::delete_target_of(
    const std::string& path) {
  const std::string by_id = "/api/users/byUserId/";
  const std::string by_email = "/api/users/";
  if (path.rfind(by_id, 0) == 0 && path.size() > by_id.size()) {
    auto id = path.substr(by_id.size());
    return delete_target{"userId:" + id, id, true, "DELETE /api/users/byUserId/{userId}"};
  }
  if (path.rfind(by_email, 0) == 0 && path.size() > by_email.size() &&
      path != "/api/users/bulkUpdate") {
    auto email = path.substr(by_email.size());
    return delete_target{"email:" + to_lower(email), email, false, "DELETE /api/users/{email}"};
  }
  return std::nullopt;
}

void iterable_emulator::describe(const httplib::Request& req, api_response& out) const {
  if (auto target = req.method == "DELETE" ? delete_target_of(req.path) : std::nullopt) {
    out.endpoint = target->endpoint;
    out.inputs = 1;
    return;
  }
  out.endpoint = req.method + " " + req.path;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  const auto* items = it_items(body, req.path == "/api/users/bulkUpdate" ? "users" : "subscribers");
  out.inputs = items != nullptr ? items->size() : 0;
}

bool iterable_emulator::admit(const std::string& endpoint, std::int64_t limit) {
  std::lock_guard lock(rate_mutex_);
  auto it = windows_.try_emplace(endpoint, std::chrono::seconds(1)).first;
  return it->second.try_admit(rate_window::clock::now(), limit);
}

bool iterable_emulator::authorized(const httplib::Request& req, const std::string& endpoint,
                                   const limits& current, api_response& out) {
  auto key = req.has_header("Api-Key") ? req.get_header_value("Api-Key")
                                       : req.get_header_value("Api_Key");
  if (!constant_time_equal(key, api_key_)) {
    it_error(out, 401, "BadApiKey", "Invalid API key");
    return false;
  }
  if (!admit(endpoint, current.per_second)) {
    it_error(out, 429, "RateLimitExceeded",
             "Exceeded rate limit for endpoint: " + endpoint + ", project: 1");
    return false;
  }
  return true;
}

api_response iterable_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  out.endpoint = req.method + " " + req.path;  // inputs: counted once the body is parsed
  if (auto target = req.method == "DELETE" ? delete_target_of(req.path) : std::nullopt) {
    out.endpoint = target->endpoint;
    out.inputs = 1;
    if (authorized(req, target->endpoint, current, out))  // deletes share one window
      remove(*target, out);
    return out;
  }
  const bool bulk = req.path == "/api/users/bulkUpdate";
  const bool subscribe = req.path == "/api/lists/subscribe";
  if (!bulk && !subscribe && req.path != "/api/lists/unsubscribe") {
    it_error(out, 404, "NotFound", "No such endpoint: " + req.path);
    return out;
  }
  if (req.method != "POST") {
    it_error(out, 405, "BadParams", "Method not allowed: " + req.method);
    return out;
  }
  if (!authorized(req, req.path, current, out))
    return out;
  if (req.body.size() > it_max_body) {
    it_error(out, 413, "BatchTooLarge", "Request body is larger than 4 MB");
    return out;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    it_error(out, 400, "BadJsonBody", "Could not parse the request body as a JSON object");
    return out;
  }
  const auto* items = it_items(body, bulk ? "users" : "subscribers");
  out.inputs = items != nullptr ? items->size() : 0;
  if (items == nullptr) {
    it_error(out, 400, "BadParams", bulk ? "users is required" : "subscribers is required");
    return out;
  }
  if (current.max_batch > 0 && static_cast<std::int64_t>(items->size()) > current.max_batch) {
    it_error(out, 400, "BatchTooLarge", "At most " + std::to_string(current.max_batch) +
                                            " users per request, got " +
                                            std::to_string(items->size()));
    return out;
  }
  std::int64_t list = 0;
  if (!bulk) {
    auto id = body.find("listId");
    if (id == body.end() || !id->is_number_integer() || id->get<std::int64_t>() <= 0) {
      it_error(out, 400, "BadParams", "listId must be a positive integer");
      return out;
    }
    list = id->get<std::int64_t>();
  }
  std::lock_guard lock(mutex_);
  auto t = apply(*items, bulk ? action::update : subscribe ? action::subscribe : action::unsubscribe,
                 list, it_flag(body, "updateExistingUsersOnly"));
  nlohmann::json answer = {{"successCount", t.success},
                           {"failCount", t.failed},
                           {"invalidEmails", t.failures["invalidEmails"]},
                           {"invalidUserIds", t.failures["invalidUserIds"]},
                           {"failedUpdates", t.failures},
                           {"filteredOutFields", nlohmann::json::array()}};
  out.status = 200;
  out.body = answer.dump();
  return out;
}

std::string iterable_emulator::failure_of(const nlohmann::json& item, const std::string& id,
                                          bool by_user_id, action what) const {
  const std::string suffix = by_user_id ? "UserIds" : "Emails";
  if (by_user_id ? !it_valid_user_id(id) : !it_valid_email(id))
    return "invalid" + suffix;
  if (forgotten_.count(id) != 0)
    return "forgotten" + suffix;
  if (what != action::unsubscribe && conflicts_.count(id) != 0)
    return "conflict" + suffix;
  auto fields = item.find("dataFields");
  if (what != action::unsubscribe && fields != item.end() && fields->is_object())
    for (const auto& [field, text] : reject_if_)
      if (auto v = fields->find(field);
          v != fields->end() && scalar_text(*v).find(text) != std::string::npos)
        return "invalidData" + suffix;
  return {};
}

void iterable_emulator::set_fields(user& u, const nlohmann::json& item) {
  auto fields = item.find("dataFields");
  if (fields == item.end() || !fields->is_object())
    return;
  const bool merge = it_flag(item, "mergeNestedObjects");
  for (const auto& [name, value] : fields->items()) {
    auto& held = u.data_fields[name];
    if (merge && value.is_object() && held.is_object())
      held.update(value);  // top-level objects merged one level deep
    else
      held = value;  // null sets the field to null
  }
}

void iterable_emulator::remove(const delete_target& target, api_response& out) {
  std::lock_guard lock(mutex_);
  auto found = users_.find(target.key);
  if (found == users_.end() || found->second.deleted) {
    it_error(out, 400, target.by_user_id ? "UnknownUserIdError" : "UnknownEmailError",
             "No user exists with " + std::string(target.by_user_id ? "userId " : "email ") +
                 target.id);
    return;
  }
  auto& u = found->second;
  u.deleted = true;  // asynchronous at Iterable; at once here
  u.data_fields = nlohmann::json::object();
  u.lists.clear();
  out.status = 200;
  out.body = nlohmann::json{{"msg", "User deletion queued"}, {"code", "Success"},
                            {"params", nullptr}}.dump();
}

iterable_emulator::tally iterable_emulator::apply(const nlohmann::json& items, action what,
                                                  std::int64_t list, bool existing_only) {
  tally t;
  for (const char* name : it_lists)
    for (const char* suffix : {"Emails", "UserIds"})
      t.failures[std::string(name) + suffix] = nlohmann::json::array();
  for (const auto& item : items) {
    const bool by_email = item.is_object() && item.contains("email") && item["email"].is_string();
    const bool by_user_id =
        item.is_object() && item.contains("userId") && item["userId"].is_string();
    if (by_email == by_user_id) {  // one of the two, not both
      ++t.failed;
      continue;
    }
    const auto id = item[by_email ? "email" : "userId"].get<std::string>();
    auto failure = failure_of(item, id, by_user_id, what);
    const auto key = by_email ? "email:" + to_lower(id) : "userId:" + id;
    auto found = users_.find(key);
    const bool known = found != users_.end() && !found->second.deleted;
    const bool creates = what == action::subscribe ? !existing_only
                         : what == action::update  ? by_email || it_flag(item, "preferUserId")
                                                   : false;
    if (failure.empty() && !known && !creates)
      failure = std::string("notFound") + (by_email ? "Emails" : "UserIds");
    if (!failure.empty()) {
      t.failures[failure].push_back(id);
      ++t.failed;
      continue;
    }
    ++t.success;
    if (!known) {  // new, or deleted before: a fresh profile
      const auto before = found == users_.end() ? 0 : found->second.creations;
      found = users_.insert_or_assign(key, user{}).first;
      found->second.creations = before + 1;
    } else if (what != action::unsubscribe) {
      ++found->second.updates;
    }
    auto& u = found->second;
    if (what == action::unsubscribe) {
      u.unsubscribes += static_cast<std::int64_t>(u.lists.erase(list));
      continue;
    }
    set_fields(u, item);
    if (what == action::subscribe)
      u.lists.insert(list);
  }
  return t;
}

nlohmann::json iterable_emulator::records(const httplib::Request& req) const {
  std::int64_t only = 0;
  if (req.has_param("list"))
    only = std::strtoll(req.get_param_value("list").c_str(), nullptr, 10);
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, u] : users_) {
    if (only != 0 && u.lists.count(only) == 0)
      continue;
    const bool by_email = key.rfind("email:", 0) == 0;
    list.push_back({{by_email ? "email" : "userId", key.substr(key.find(':') + 1)},
                    {"dataFields", u.data_fields},
                    {"lists", u.lists},
                    {"creations", u.creations},
                    {"updates", u.updates},
                    {"unsubscribes", u.unsubscribes},
                    {"deleted", u.deleted}});
  }
  return {{"records", list}};
}

void iterable_emulator::reset() {
  {
    std::lock_guard lock(rate_mutex_);
    windows_.clear();
  }
  std::lock_guard lock(mutex_);
  users_.clear();
  conflicts_.clear();
  forgotten_.clear();
  reject_if_.clear();
}

bool iterable_emulator::control(const std::string& name, const httplib::Request& req,
                                httplib::Response& res) {
  if (name != "rules")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto spec = nlohmann::json::parse(req.body, nullptr, false);
    auto rule = spec.is_object() ? spec.find("reject_if") : spec.end();
    const bool reject = rule != spec.end() && rule->is_object() && rule->contains("field") &&
                        (*rule)["field"].is_string() && rule->contains("contains") &&
                        (*rule)["contains"].is_string();
    if (reject)
      reject_if_[(*rule)["field"].get<std::string>()] = (*rule)["contains"].get<std::string>();
    else if (spec.is_object() && spec.contains("conflict") && spec["conflict"].is_string())
      conflicts_.insert(spec["conflict"].get<std::string>());
    else if (spec.is_object() && spec.contains("forgotten") && spec["forgotten"].is_string())
      forgotten_.insert(spec["forgotten"].get<std::string>());
    else {
      reply_json(res, 400, {{"error", R"(expected {"reject_if":{"field":"...","contains":"..."}}, )"
                                      R"({"conflict":"<email or userId>"} or {"forgotten":"..."})"}});
      return true;
    }
  } else if (req.method == "DELETE") {
    reject_if_.clear();
    conflicts_.clear();
    forgotten_.clear();
  }
  nlohmann::json rules = {{"reject_if", reject_if_}, {"conflict", conflicts_},
                          {"forgotten", forgotten_}};
  reply_json(res, 200, rules);
  return true;
}

}  // namespace backflow::emulators
